import { describe, expect, it } from 'vitest';
import { history } from './build.js';
import { checkKvHistory } from './check-kv.js';
import type { Operation } from './history.js';
import type { KvInput, KvOutput, RangeEntry } from './kv-model.js';
import { expandRangeReads } from './range-reads.js';
import { checkReadsAgainstHistory } from './reads-vs-history.js';
import type { WatchEventRecord } from './watch-history.js';

type KvOp = Operation<KvInput, KvOutput>;

function withRange(ops: KvOp[], client: number, [call, ret]: [number, number], kvs: RangeEntry[] | 'unknown', revision?: number): KvOp[] {
  const input: KvInput = { op: 'range', key: 'k', rangeEnd: 'l' };
  const id = ops.length;
  if (kvs === 'unknown') return [...ops, { id, client, input, status: 'unknown', call, return: Infinity }];
  const output: KvOutput = { op: 'range', kvs, ...(revision === undefined ? {} : { revision }) };
  return [...ops, { id, client, input, output, status: 'ok', call, return: ret }];
}

describe('range reads', () => {
  it('expand into one get per covered key, absent ones included, keeping the id and revision', () => {
    const ops = withRange(history().put(1, 'ka', 'x', [0, 1], 2).put(1, 'kb', 'y', [2, 3], 3).put(1, 'z', 'q', [2, 3], 4).ops, 2, [4, 5], [{ key: 'ka', value: 'x', modRevision: 2 }], 4);
    const gets = expandRangeReads(ops).filter((op) => op.id === 3);
    expect(gets.map((op) => [op.input, op.output])).toEqual([
      [{ op: 'get', key: 'ka' }, { op: 'get', value: 'x', modRevision: 2, revision: 4 }],
      [{ op: 'get', key: 'kb' }, { op: 'get', modRevision: 0, revision: 4 }],
    ]);
    expect(gets.every((op) => op.call === 4 && op.return === 5 && op.client === 2)).toBe(true);
  });

  it('accept a consistent list and reject one that misses an acknowledged write', () => {
    const base = history().put(1, 'ka', 'x', [0, 1], 2).put(1, 'kb', 'y', [2, 3], 3).ops;
    const full = withRange(base, 2, [4, 5], [{ key: 'ka', value: 'x', modRevision: 2 }, { key: 'kb', value: 'y', modRevision: 3 }], 3);
    expect(checkKvHistory(full).result).toBe('ok');
    const lost = withRange(base, 2, [4, 5], [{ key: 'ka', value: 'x', modRevision: 2 }], 3);
    const report = checkKvHistory(lost);
    expect(report.result).toBe('illegal');
    expect(report.text).toContain('cannot place: #2 client 2 get(kb) → absent');
  });

  it('reject a torn snapshot when revisions are present', () => {
    const base = history().put(1, 'ka', 'a1', [0, 1], 2).put(1, 'kb', 'b1', [0, 1], 3).put(1, 'ka', 'a2', [2, 50], 4).put(3, 'kb', 'b2', [2, 50], 5).ops;
    const torn = withRange(base, 2, [3, 60], [{ key: 'ka', value: 'a1', modRevision: 2 }, { key: 'kb', value: 'b2', modRevision: 5 }], 5);
    expect(checkKvHistory(torn).linearizability.result).toBe('illegal');
    const committed: WatchEventRecord[] = [
      { type: 'PUT', key: 'ka', value: 'a1', revision: 2 },
      { type: 'PUT', key: 'kb', value: 'b1', revision: 3 },
      { type: 'PUT', key: 'ka', value: 'a2', revision: 4 },
      { type: 'PUT', key: 'kb', value: 'b2', revision: 5 },
    ];
    const v = checkReadsAgainstHistory(torn, committed);
    expect(v.map((x) => x.operation.id)).toEqual([4]);
    expect(v[0]?.detail).toContain('at revision 5 the key held "a2" mod 4');
    const snapshot = withRange(base, 2, [3, 60], [{ key: 'ka', value: 'a1', modRevision: 2 }, { key: 'kb', value: 'b1', modRevision: 3 }], 3);
    expect(checkKvHistory(snapshot).result).toBe('ok');
    expect(checkReadsAgainstHistory(snapshot, committed)).toEqual([]);
  });

  it('reject a listed key nobody wrote, and drop ranges without an answer', () => {
    const base = history().put(1, 'ka', 'x', [0, 1], 2).ops;
    expect(checkKvHistory(withRange(base, 2, [2, 3], [{ key: 'kz', value: 'ghost', modRevision: 2 }], 2)).result).toBe('illegal');
    const report = checkKvHistory(withRange(base, 2, [2, 3], 'unknown'));
    expect(report.result).toBe('ok');
    expect(report.linearizability.dropped).toBe(1);
  });

  it('refuse an ok range with a non-range output', () => {
    const [put] = history().put(1, 'ka', 'x', [0, 1]).ops;
    const bad: KvOp = { id: 1, client: 2, input: { op: 'range', key: 'k', rangeEnd: 'l' }, output: { op: 'put' }, status: 'ok', call: 2, return: 3 };
    expect(() => expandRangeReads([put!, bad])).toThrow(/range op #1 has a put output/);
  });
});
