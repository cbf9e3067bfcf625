/**
 * Resolves unknown-outcome writes from what reads observed (etcd robustness does this from the
 * WAL in `validate/patch_history.go`; we use the reads themselves, as its earlier versions did).
 * Clients write unique values, so a get or value-CAS that saw value v proves the one write of v
 * took effect before that observer returned, and a get's modRevision is that write's revision.
 * The patched op is 'ok' with that output and returns when its first observer returned — every
 * linearization already had it there, so this is sound, and it spares the search from trying
 * every unknown write at every position (ops with return +∞ are always legal to place).
 * Values written more than once are left alone.
 */
import type { Operation } from './history.js';
import type { KvInput, KvOutput } from './kv-model.js';

type KvOp = Operation<KvInput, KvOutput>;

interface Observation {
  returnTime: number;
  returnSeq: number | undefined;
  modRevision: number | undefined;
  by: number;
}

function writtenValue(input: KvInput): string | undefined {
  return input.op === 'put' || input.op === 'cas' ? input.value : undefined;
}

function observedValue(op: KvOp): { value: string; modRevision: number | undefined } | undefined {
  const out = op.output;
  if (op.status !== 'ok' || out === undefined) return undefined;
  if (out.op === 'get' && out.value !== undefined) return { value: out.value, modRevision: out.modRevision };
  if (out.op === 'cas' && out.succeeded && op.input.op === 'cas' && 'value' in op.input.expect) {
    return { value: op.input.expect.value, modRevision: undefined };
  }
  return undefined;
}

export function patchKvHistory(history: ReadonlyArray<KvOp>): KvOp[] {
  const writers = new Map<string, number>();
  for (const op of history) {
    const v = writtenValue(op.input);
    if (v !== undefined) writers.set(`${op.input.key}\u0000${v}`, (writers.get(`${op.input.key}\u0000${v}`) ?? 0) + 1);
  }
  const first = new Map<string, Observation>();
  for (const op of history) {
    const seen = observedValue(op);
    if (seen === undefined) continue;
    const key = `${op.input.key}\u0000${seen.value}`;
    const prior = first.get(key);
    if (prior === undefined || op.return < prior.returnTime) {
      first.set(key, { returnTime: op.return, returnSeq: op.returnSeq, modRevision: seen.modRevision ?? prior?.modRevision, by: op.id });
    } else if (prior.modRevision === undefined && seen.modRevision !== undefined) {
      prior.modRevision = seen.modRevision;
    }
  }
  return history.map((op) => {
    const v = writtenValue(op.input);
    if (op.status !== 'unknown' || v === undefined) return op;
    const key = `${op.input.key}\u0000${v}`;
    const seen = first.get(key);
    if (seen === undefined || writers.get(key) !== 1 || seen.returnTime < op.call) return op;
    const revision = seen.modRevision === undefined ? {} : { revision: seen.modRevision };
    const output: KvOutput = op.input.op === 'put' ? { op: 'put', ...revision } : { op: 'cas', succeeded: true, ...revision };
    const { returnSeq: _drop, ...rest } = op;
    return {
      ...rest,
      status: 'ok',
      output,
      error: `${op.error ?? 'unknown outcome'}; applied, as read #${seen.by} saw its value`,
      return: seen.returnTime,
      ...(seen.returnSeq === undefined ? {} : { returnSeq: seen.returnSeq }),
    };
  });
}
