import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/util/rng.js';
import { history } from './build.js';
import { checkKvHistory } from './check-kv.js';
import { generateKvRun } from './generate.js';
import { resolveWithCommitted } from './resolve-committed.js';
import type { WatchEventRecord } from './watch-history.js';

const committed: WatchEventRecord[] = [
  { type: 'PUT', key: 'a', value: 'x', revision: 2 },
  { type: 'DELETE', key: 'a', revision: 3 },
  { type: 'PUT', key: 'b', value: 'y', revision: 4 },
];

describe('settling unknown writes from the committed history', () => {
  it('marks committed writes applied at their revision and drops the rest', () => {
    const h = history()
      .put(1, 'a', 'x', [0, 1], 'unknown')
      .put(2, 'a', 'never-committed', [0, 1], 'unknown')
      .cas(3, 'b', { modRevision: 0 }, 'y', [0, 1], 'unknown')
      .del(4, 'a', [2, 3], 'unknown')
      .del(5, 'b', [2, 3], 'unknown');
    const settled = resolveWithCommitted(h.ops, committed);
    expect(settled.map((op) => [op.id, op.status, op.output])).toEqual([
      [0, 'ok', { op: 'put', revision: 2 }],
      [2, 'ok', { op: 'cas', succeeded: true, revision: 4 }],
      [3, 'unknown', undefined], // a has an unclaimed committed delete: it may be this one
    ]);
    expect(settled[0]?.return).toBe(Infinity);
  });

  it('drops unknown deletes once acknowledged deletes claim every committed delete of the key', () => {
    const h = history().put(1, 'a', 'x', [0, 1], 2).del(1, 'a', [2, 3], 1, 3).del(2, 'a', [2, 3], 'unknown');
    expect(resolveWithCommitted(h.ops, committed).map((op) => op.id)).toEqual([0, 1]);
  });

  it('catches a read of a write the cluster never committed, which unknown outcomes would excuse', () => {
    const h = history().put(1, 'a', 'ghost', [0, 1], 'unknown').get(2, 'a', [2, 3], 'ghost', { mod: 2, rev: 2 });
    expect(checkKvHistory(h.ops).result).toBe('ok');
    const report = checkKvHistory(h.ops, { committed: [{ type: 'PUT', key: 'a', value: 'x', revision: 2 }] });
    expect(report.result).toBe('illegal');
    expect(report.reads.map((v) => v.operation.id)).toEqual([1]);
    expect(report.text).toContain('reads against the committed history: 1 violations');
  });

  it('turns hard illegal histories from "unknown" into a fast verdict', () => {
    const { history: ops, committed: events } = generateKvRun(new SeededRng(5), { ops: 600, keys: 1, clients: 12, unknownRate: 0.1, phantomRate: 0.5 });
    expect(checkKvHistory(ops, { committed: events }).result).toBe('ok');
    const reads = ops.filter((op) => op.status === 'ok' && op.input.op === 'get');
    const victim = reads[Math.floor(reads.length / 2)]!;
    const bad = ops.map((op) => (op === victim && op.output?.op === 'get' ? { ...op, output: { ...op.output, value: 'never' } } : op));
    const report = checkKvHistory(bad, { committed: events, maxMillis: 2_000 });
    expect(report.result).toBe('illegal');
    expect(report.reads.map((v) => v.operation.id)).toEqual([victim.id]);
  });
});
