/** MemoryStorage and the unstable log (etcd-io/raft storage_test.go, log_unstable_test.go). */
import { describe, expect, it } from 'vitest';
import { Unstable } from '../../src/raft/log-unstable.js';
import { RaftLog } from '../../src/raft/log.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { EMPTY_CONF_STATE } from '../../src/raft/types.js';
import { isKvError } from '../../src/util/errors.js';
import { ent } from './msgs.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (err) {
    return isKvError(err) ? err.code : String(err);
  }
}

function storage(): MemoryStorage {
  const s = new MemoryStorage();
  s.applySnapshot({ metadata: { index: 3, term: 3, confState: EMPTY_CONF_STATE }, data: new Uint8Array(0) });
  s.append([ent(4, 4), ent(5, 5), ent(5, 6)]);
  return s;
}

describe('MemoryStorage', () => {
  it('serves terms and entries in [firstIndex-1, lastIndex] with compaction errors below', () => {
    const s = storage();
    expect([s.firstIndex(), s.lastIndex()]).toEqual([4, 6]);
    expect(s.term(3)).toBe(3);
    expect(s.term(6)).toBe(5);
    expect(code(() => s.term(2))).toBe('Compacted_Log');
    expect(code(() => s.term(7))).toBe('Unavailable_Log');
    expect(s.entries(4, 7, Infinity).map((e) => e.index)).toEqual([4, 5, 6]);
    expect(code(() => s.entries(3, 5, Infinity))).toBe('Compacted_Log');
    expect(code(() => s.entries(4, 8, Infinity))).toBe('Unavailable_Log');
    // Size-limited, but always at least one entry.
    expect(s.entries(4, 7, 0).map((e) => e.index)).toEqual([4]);
  });

  it('append replaces a conflicting suffix and ignores the compacted part', () => {
    const s = storage();
    s.append([ent(3, 3), ent(6, 5)]);
    expect(s.entries(4, s.lastIndex() + 1, Infinity).map((e) => [e.index, e.term])).toEqual([[4, 4], [5, 6]]);
    s.append([ent(1, 1), ent(2, 2)]);
    expect(s.lastIndex()).toBe(5);
  });

  it('compacts, snapshots, and refuses out-of-date snapshots', () => {
    const s = storage();
    s.createSnapshot(5, undefined, new Uint8Array([1]));
    s.compact(5);
    expect([s.firstIndex(), s.term(5)]).toEqual([6, 5]);
    expect(code(() => s.compact(4))).toBe('Compacted_Log');
    expect(code(() => s.createSnapshot(4, undefined, new Uint8Array(0)))).toBe('Compacted_Log');
    expect(code(() => s.applySnapshot(s.snapshot()))).toBe('Compacted_Log');
  });
});

describe('unstable log', () => {
  it('truncates and appends, tracking what is in progress', () => {
    const u = new Unstable(5);
    u.truncateAndAppend([ent(1, 5), ent(1, 6), ent(1, 7)]);
    expect(u.nextEntries().map((e) => e.index)).toEqual([5, 6, 7]);
    u.acceptInProgress();
    expect(u.nextEntries()).toEqual([]);
    // A conflict at 6 replaces 6 and 7, which must be written again.
    u.truncateAndAppend([ent(2, 6)]);
    expect(u.entries.map((e) => [e.index, e.term])).toEqual([[5, 1], [6, 2]]);
    expect(u.nextEntries().map((e) => e.index)).toEqual([6]);
    // Stabilizing the old (replaced) entry 7 is ignored; 5 with the right term works.
    u.stableTo(7, 1);
    expect(u.offset).toBe(5);
    u.stableTo(5, 1);
    expect([u.offset, u.entries.length]).toEqual([6, 1]);
    u.stableTo(6, 1); // wrong term: ignored
    expect(u.offset).toBe(6);
  });

  it('the raft log reads across storage and the unstable tail and finds conflicts by term', () => {
    const log = new RaftLog(storage(), Infinity);
    log.append([ent(6, 7), ent(6, 8)]);
    expect(log.slice(4, 9, Infinity).map((e) => e.index)).toEqual([4, 5, 6, 7, 8]);
    expect(log.findConflict([ent(5, 6), ent(6, 7), ent(7, 8)])).toBe(8);
    expect(log.findConflict([ent(5, 6), ent(6, 7)])).toBe(0);
    expect(log.findConflictByTerm(8, 5)).toEqual({ index: 6, term: 5 });
    expect(log.findConflictByTerm(8, 4)).toEqual({ index: 4, term: 4 });
    expect(log.findConflictByTerm(8, 3)).toEqual({ index: 3, term: 3 });
    // Below the first index the term is unknown (0): the leader probes there.
    expect(log.findConflictByTerm(8, 2)).toEqual({ index: 2, term: 0 });
    expect(log.findConflictByTerm(2, 1)).toEqual({ index: 2, term: 0 });
    expect(log.term(2)).toBeUndefined();
  });
});
