/**
 * Range (list) reads span keys, so the per-key search cannot take them whole. Each is expanded
 * into one get per key it covers — every key the history mentions that lies in the range — with
 * the range's interval and header revision: present keys with their value and modRevision,
 * the others absent. Each get is then checked where it belongs, which is sound but does not
 * demand that all keys were read at one instant; with revisions present the per-key floors pin
 * every part to the same revision, and `checkReadsAgainstHistory` checks the snapshot exactly.
 * Derived gets keep the range's id, so explanations point at the original op.
 */
import { assert } from '../../src/util/assert.js';
import type { Operation } from './history.js';
import { keyInRange } from './keys.js';
import type { KvInput, KvOutput } from './kv-model.js';

type KvOp = Operation<KvInput, KvOutput>;

/** Every key an op names or a read returned. */
export function keysOf(history: ReadonlyArray<KvOp>): Set<string> {
  const keys = new Set<string>();
  for (const op of history) {
    if (op.input.op !== 'range') keys.add(op.input.key);
    if (op.output?.op === 'range') for (const kv of op.output.kvs) keys.add(kv.key);
  }
  return keys;
}

export function expandRangeReads(history: ReadonlyArray<KvOp>, extraKeys: Iterable<string> = []): KvOp[] {
  if (!history.some((op) => op.input.op === 'range')) return [...history];
  const universe = [...new Set([...keysOf(history), ...extraKeys])];
  return history.flatMap((op): KvOp[] => {
    const input = op.input;
    if (input.op !== 'range') return [op];
    const covered = universe.filter((key) => keyInRange(key, input.key, input.rangeEnd));
    const out = op.output;
    assert(op.status !== 'ok' || out?.op === 'range', () => `range op #${op.id} has a ${out?.op ?? 'missing'} output`);
    if (op.status !== 'ok' || out?.op !== 'range') {
      const { output: _none, ...rest } = op;
      return covered.map((key) => ({ ...rest, input: { op: 'get', key } }));
    }
    const byKey = new Map(out.kvs.map((kv) => [kv.key, kv]));
    const revision = out.revision === undefined ? {} : { revision: out.revision };
    return covered.map((key): KvOp => {
      const kv = byKey.get(key);
      const output: KvOutput =
        kv === undefined
          ? { op: 'get', ...(out.revision === undefined ? {} : { modRevision: 0 }), ...revision }
          : { op: 'get', value: kv.value, ...(kv.modRevision === undefined ? {} : { modRevision: kv.modRevision }), ...revision };
      return { ...op, input: { op: 'get', key }, output };
    });
  });
}
