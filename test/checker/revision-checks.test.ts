import { describe, expect, it } from 'vitest';
import { history } from './build.js';
import { checkKvHistory } from './check-kv.js';
import { checkRevisions } from './revision-checks.js';

describe('cross-key revision checks', () => {
  it('accepts revisions that rise with real time across keys', () => {
    const h = history()
      .put(1, 'a', 'x', [0, 1], 2)
      .put(2, 'b', 'y', [2, 3], 3)
      .get(1, 'a', [4, 5], 'x', { mod: 2, rev: 3 })
      .del(2, 'c', [4, 5], 0, 3);
    expect(checkRevisions(h.ops)).toEqual([]);
    expect(checkKvHistory(h.ops).result).toBe('ok');
  });

  it('flags two acknowledged writes on different keys with one revision', () => {
    const h = history().put(1, 'a', 'x', [0, 5], 2).put(2, 'b', 'y', [0, 5], 2);
    const v = checkRevisions(h.ops);
    expect(v.map((x) => x.kind)).toEqual(['duplicate-revision']);
    expect(v[0]?.detail).toContain('revision 2');
    // Each key alone is fine: only the cross-key check sees it.
    expect(checkKvHistory(h.ops).linearizability.result).toBe('ok');
    expect(checkKvHistory(h.ops).result).toBe('illegal');
  });

  it('does not count no-op writes as revision owners', () => {
    const h = history().put(1, 'a', 'x', [0, 1], 2).del(2, 'b', [2, 3], 0, 2).cas(3, 'c', { value: 'q' }, 'z', [2, 3], false, 2);
    expect(checkRevisions(h.ops)).toEqual([]);
  });

  it('flags a revision going back in real time across keys', () => {
    const h = history().put(1, 'a', 'x', [0, 1], 5).get(2, 'b', [2, 3], undefined, { rev: 4 });
    const v = checkRevisions(h.ops);
    expect(v.map((x) => x.kind)).toEqual(['revision-went-back']);
    expect(v[0]?.operations.map((op) => op.id)).toEqual([0, 1]);
  });

  it('flags a later write that does not get a higher revision than an earlier read', () => {
    const h = history().get(1, 'a', [0, 1], undefined, { rev: 5 }).put(2, 'b', 'y', [2, 3], 5);
    expect(checkRevisions(h.ops).map((x) => x.kind)).toEqual(['revision-went-back']);
  });

  it('allows any order between concurrent ops', () => {
    const h = history().put(1, 'a', 'x', [0, 10], 5).get(2, 'b', [2, 3], undefined, { rev: 4 });
    expect(checkRevisions(h.ops)).toEqual([]);
  });

  it('uses sequence numbers to order events at the same millisecond', () => {
    const [put, get] = history().put(1, 'a', 'x', [0, 1], 5).get(2, 'b', [1, 2], undefined, { rev: 4 }).ops;
    expect(checkRevisions([put!, get!])).toEqual([]); // same time, no seq: concurrent
    const seqd = [{ ...put!, callSeq: 0, returnSeq: 1 }, { ...get!, callSeq: 2, returnSeq: 3 }];
    expect(checkRevisions(seqd).map((x) => x.kind)).toEqual(['revision-went-back']);
  });

  it('flags a read whose modRevision belongs to a write of another key', () => {
    const h = history().put(1, 'a', 'x', [0, 1], 'unknown').put(2, 'b', 'y', [0, 1], 7).get(3, 'a', [2, 3], 'x', { mod: 7, rev: 7 });
    expect(checkRevisions(h.ops).map((x) => x.kind)).toEqual(['foreign-mod-revision']);
  });
});
