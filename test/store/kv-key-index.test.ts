/** KeyIndex generations, get, compact and revert, on etcd's key_index_test history. */
import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../../src/store/key-index.js';
import { rev } from '../../src/store/revision.js';

/**
 * etcd's newTestKeyIndex:
 *   {2.0, 4.0, 6.0(t)}, {8.0, 10.0, 12.0(t)}, {14.0, 14.1, 16.0(t)}, {empty}
 */
function testKeyIndex(): KeyIndex {
  const ki = new KeyIndex();
  ki.put(rev(2));
  ki.put(rev(4));
  ki.tombstone(rev(6));
  ki.put(rev(8));
  ki.put(rev(10));
  ki.tombstone(rev(12));
  ki.put(rev(14));
  ki.put(rev(14, 1));
  ki.tombstone(rev(16));
  return ki;
}

const shape = (ki: KeyIndex): string[] => ki.revisions().map((g) => g.map((r) => `${r.main}.${r.sub}`).join(' '));

describe('KeyIndex', () => {
  it('get: the revision, create revision and version alive at each revision, none in the gaps', () => {
    const ki = testKeyIndex();
    const at = (r: number) => {
      const hit = ki.get(r);
      return hit === undefined ? '-' : `${hit.modified.main}.${hit.modified.sub} c${hit.created.main} v${hit.version}`;
    };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17].map(at)).toEqual([
      '-', '2.0 c2 v1', '2.0 c2 v1', '4.0 c2 v2', '4.0 c2 v2', '-', '-', '8.0 c8 v1', '8.0 c8 v1', '10.0 c8 v2', '10.0 c8 v2',
      '-', '-', '14.1 c14 v2', '14.1 c14 v2', '-', '-',
    ]);
  });

  it.each<[number, string[]]>([
    [1, ['2.0 4.0 6.0', '8.0 10.0 12.0', '14.0 14.1 16.0', '']],
    [3, ['2.0 4.0 6.0', '8.0 10.0 12.0', '14.0 14.1 16.0', '']],
    [4, ['4.0 6.0', '8.0 10.0 12.0', '14.0 14.1 16.0', '']],
    [5, ['4.0 6.0', '8.0 10.0 12.0', '14.0 14.1 16.0', '']],
    [6, ['6.0', '8.0 10.0 12.0', '14.0 14.1 16.0', '']],
    [7, ['8.0 10.0 12.0', '14.0 14.1 16.0', '']],
    [10, ['10.0 12.0', '14.0 14.1 16.0', '']],
    [12, ['12.0', '14.0 14.1 16.0', '']],
    [14, ['14.1 16.0', '']],
    [16, ['16.0', '']],
    [17, ['']],
  ])('compact(%i) keeps what etcd keeps (a tombstone at the compaction revision too, etcd #19179), and reads at or after it are unchanged', (atRev, want) => {
    const ki = testKeyIndex();
    const before = Array.from({ length: 20 }, (_, r) => ki.get(r));
    ki.compact(atRev);
    expect(shape(ki)).toEqual(want);
    for (let r = atRev; r < 20; r++) expect(ki.get(r)).toEqual(before[r]);
    expect(ki.isEmpty()).toBe(atRev > 16);
  });

  it('restore starts from a compacted record, keeping its create revision and version', () => {
    const ki = new KeyIndex();
    ki.restore(rev(3), rev(9), 5);
    ki.put(rev(11));
    expect(ki.get(11)).toEqual({ modified: rev(11), created: rev(3), version: 6 });
    expect(ki.get(9)).toEqual({ modified: rev(9), created: rev(3), version: 5 });
  });

  it('revertMain undoes a put, a re-creation and a tombstone of one txn, even after a compaction', () => {
    const ki = testKeyIndex();
    ki.put(rev(17));
    ki.revertMain(17, 0);
    expect(shape(ki)).toEqual(['2.0 4.0 6.0', '8.0 10.0 12.0', '14.0 14.1 16.0', '']);
    expect(ki.isLive()).toBe(false);
    ki.put(rev(17));
    ki.put(rev(18));
    ki.compact(17);
    ki.tombstone(rev(19, 2));
    ki.revertMain(19, 7);
    expect(shape(ki)).toEqual(['17.0 18.0']);
    expect(ki.get(19)).toEqual({ modified: rev(18), created: rev(17), version: 2 });
    expect(ki.modified).toEqual(rev(18));
    expect(ki.lease).toBe(7);
    const fresh = new KeyIndex();
    fresh.put(rev(5));
    fresh.revertMain(5, 0);
    expect(fresh.isEmpty()).toBe(true);
  });

  it('refuses out-of-order puts and tombstones of deleted keys', () => {
    const ki = testKeyIndex();
    expect(() => ki.put(rev(15))).toThrow(/not after/);
    expect(() => ki.tombstone(rev(20))).toThrow(/deleted key/);
  });
});
