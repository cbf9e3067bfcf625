/**
 * Resolves unknown-outcome writes from what reads observed (etcd robustness does this from the
 * WAL in `validate/patch_history.go`; we use the reads themselves, as its earlier versions did).
 * Clients write unique values, so a get or value-CAS that saw value v proves the one write of v
 * took effect before that observer returned, and a get's modRevision is that write's revision.
 * The patched op is 'ok' with that output (or, seen only by a CAS, a bound on its revision) and
 * returns when its first observer returned — every
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
  /** The write's revision, when a get reported it as modRevision. */
  modRevision: number | undefined;
  /** Else an exclusive upper bound: a CAS at revision R saw it, or a get at header revision R-1. */
  below: number | undefined;
  by: number;
}

function tighter(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

function writtenValue(input: KvInput): string | undefined {
  return input.op === 'put' || input.op === 'cas' ? input.value : undefined;
}

function observedValue(op: KvOp): { value: string; modRevision: number | undefined; below: number | undefined } | undefined {
  const out = op.output;
  if (op.status !== 'ok' || out === undefined) return undefined;
  if (out.op === 'get' && out.value !== undefined) {
    return { value: out.value, modRevision: out.modRevision, below: out.revision === undefined ? undefined : out.revision + 1 };
  }
  if (out.op === 'cas' && out.succeeded && op.input.op === 'cas' && 'value' in op.input.expect) {
    return { value: op.input.expect.value, modRevision: undefined, below: out.revision };
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
    const modRevision = prior?.modRevision ?? seen.modRevision;
    const below = tighter(prior?.below, seen.below);
    if (prior === undefined || op.return < prior.returnTime) {
      first.set(key, { returnTime: op.return, returnSeq: op.returnSeq, modRevision, below, by: op.id });
    } else {
      prior.modRevision = modRevision;
      prior.below = below;
    }
  }
  return history.map((op) => {
    const v = writtenValue(op.input);
    if (op.status !== 'unknown' || v === undefined) return op;
    const key = `${op.input.key}\u0000${v}`;
    const seen = first.get(key);
    if (seen === undefined || writers.get(key) !== 1 || seen.returnTime < op.call) return op;
    const revision =
      seen.modRevision !== undefined ? { revision: seen.modRevision } : seen.below !== undefined ? { revisionBelow: seen.below } : {};
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
