/**
 * The WAL contract, run against LevelWal and MemoryWal (wal-level.test.ts, wal-memory.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_CONF_STATE, EMPTY_HARD_STATE, type Entry, type HardState, type SnapshotMetadata } from '../../src/raft/types.js';
import { encodeEntry, encodeHardState, encodeIndex, encodeSnapshotMeta } from '../../src/storage/codec.js';
import type { DataDir } from '../../src/storage/data-dir.js';
import { ENTRY_RANGE, FIRST_INDEX_KEY, HARD_STATE_KEY, SNAPSHOT_KEY, TRIM_INDEX_KEY, entryIndexOf, entryKey } from '../../src/storage/keys.js';
import { AssertionError } from '../../src/util/assert.js';
import { isKvError } from '../../src/util/errors.js';
import { collect, rawWrite, type StorageHarness } from './harness.js';

export function entries(from: number, to: number, term: number, tag = ''): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term, type: 'normal', data: new TextEncoder().encode(`${tag}e${i}`) });
  return out;
}

export function hs(term: number, commit: number, vote = 1): HardState {
  return { term, vote, commit };
}

export function snap(index: number, term: number): SnapshotMetadata {
  return { index, term, confState: { ...EMPTY_CONF_STATE, voters: [1, 2, 3] } };
}

function flipped(bytes: Uint8Array | undefined, at: number, mask: number): Uint8Array {
  const out = Uint8Array.from(bytes ?? []);
  const i = at < 0 ? out.length + at : at;
  out[i] = (out[i] ?? 0) ^ mask;
  return out;
}

function plain(es: readonly Entry[]): Array<[number, number, string, string]> {
  return es.map((e) => [e.index, e.term, e.type, Buffer.from(e.data).toString()]);
}

async function rawEntryIndexes(h: StorageHarness): Promise<number[]> {
  return h.raw(async (kv) => (await collect(kv.keys(ENTRY_RANGE))).map((k) => entryIndexOf(k) ?? -1));
}

async function expectCorrupt(promise: Promise<unknown>, ...parts: string[]): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isKvError(err, 'StorageCorrupt'), `expected StorageCorrupt, got ${String(err)}`).toBe(true);
  const message = (err as Error).message;
  for (const part of parts) expect(message).toContain(part);
  return message;
}

export function walConformance(name: string, makeHarness: () => Promise<StorageHarness>): void {
  describe(`WAL conformance: ${name}`, () => {
    let h: StorageHarness;
    let dd: DataDir | undefined;

    async function open(): Promise<DataDir> {
      dd = await h.open();
      return dd;
    }
    async function close(): Promise<void> {
      await dd?.close();
      dd = undefined;
    }
    async function reopen() {
      await close();
      const d = await open();
      return d.wal.load();
    }
    /** A log of entries 1..last at `term`, committed through `commit`, closed. */
    async function seed(last: number, commit: number, term = 1): Promise<void> {
      const d = await open();
      await d.wal.load();
      await d.wal.save(hs(term, commit), entries(1, last, term), { sync: true });
      await close();
    }

    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await close();
      await h.cleanup();
    });

    it('starts empty', async () => {
      const d = await open();
      expect(await d.wal.load()).toEqual({ hardState: EMPTY_HARD_STATE, snapshot: undefined, entries: [], firstIndex: 1 });
    });

    it('recovers exactly what was saved after a restart', async () => {
      const d = await open();
      await d.wal.load();
      const es = [...entries(1, 3, 1), { index: 4, term: 2, type: 'confChangeV2' as const, data: new Uint8Array([1, 2, 3]) }];
      await d.wal.save(hs(2, 2), es, { sync: true });
      await d.wal.save(hs(2, 3), [], { sync: false });
      const loaded = await reopen();
      expect(loaded.hardState).toEqual(hs(2, 3));
      expect(plain(loaded.entries)).toEqual(plain(es));
      expect(loaded.firstIndex).toBe(1);
      expect(loaded.snapshot).toBeUndefined();
    });

    it('deletes a conflicting suffix in the batch that replaces it', async () => {
      await seed(10, 3);
      const d = await open();
      await d.wal.load();
      await d.wal.save(hs(2, 3), entries(6, 7, 2, 'new'), { sync: true });
      const loaded = await reopen();
      expect(loaded.entries.map((e) => [e.index, e.term])).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => [i, i <= 5 ? 1 : 2]));
      await close();
      expect(await rawEntryIndexes(h)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });

    it('asserts the MustSync rule, contiguity and no overwrite of committed entries', async () => {
      await seed(5, 3);
      const d = await open();
      await d.wal.load();
      await expect(d.wal.save(hs(1, 3), entries(6, 6, 1), { sync: false })).rejects.toThrow(AssertionError);
      await close();
      const d2 = await open();
      await d2.wal.load();
      await expect(d2.wal.save(hs(2, 3, 2), [], { sync: false })).rejects.toThrow(/MustSync/);
      await close();
      const d3 = await open();
      await d3.wal.load();
      await expect(d3.wal.save(undefined, entries(8, 8, 1), { sync: true })).rejects.toThrow(/gap/);
      await close();
      const d4 = await open();
      await d4.wal.load();
      await expect(d4.wal.save(undefined, entries(3, 3, 1), { sync: true })).rejects.toThrow(/committed/);
      await close();
      const d5 = await open();
      await d5.wal.load();
      // A commit-only change may go unsynced (etcd's MustSync).
      await d5.wal.save(hs(1, 4), [], { sync: false });
      expect((await reopen()).hardState).toEqual(hs(1, 4));
    });

    it('keeps the log after a snapshot of its own entries and returns entries after it', async () => {
      await seed(10, 8);
      const d = await open();
      await d.wal.load();
      await d.wal.saveSnapshot(snap(6, 1));
      const loaded = await reopen();
      expect(loaded.snapshot).toEqual(snap(6, 1));
      expect(loaded.firstIndex).toBe(7);
      expect(loaded.entries.map((e) => e.index)).toEqual([7, 8, 9, 10]);
      await close();
      expect(await rawEntryIndexes(h)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('discards the log for a snapshot it does not hold and raises commit to it', async () => {
      await seed(10, 4);
      const d = await open();
      await d.wal.load();
      await d.wal.saveSnapshot(snap(8, 2)); // term 2 at index 8: not our entry
      let loaded = await reopen();
      expect(loaded.hardState).toEqual({ term: 2, vote: 0, commit: 8 }); // a crash before the Ready's save
      expect(loaded.entries).toEqual([]);
      await dd?.wal.save(hs(2, 8, 3), entries(9, 9, 2), { sync: true });
      loaded = await reopen();
      expect(loaded.hardState).toEqual(hs(2, 8, 3));
      expect(loaded.entries.map((e) => [e.index, e.term])).toEqual([[9, 2]]);
      expect(loaded.firstIndex).toBe(9);
      await dd?.wal.compact(8);
      await close();
      expect(await rawEntryIndexes(h)).toEqual([9]);
    });

    it('raises the stored commit index when a snapshot is saved before its hard state', async () => {
      await seed(3, 3);
      const d = await open();
      await d.wal.load();
      await d.wal.save(hs(2, 3), [], { sync: true });
      await d.wal.saveSnapshot(snap(50, 2));
      const loaded = await reopen();
      expect(loaded.hardState).toEqual(hs(2, 50));
      expect(loaded.entries).toEqual([]);
      expect(loaded.firstIndex).toBe(51);
    });

    it('compacts the prefix: first index moves, old keys are deleted', async () => {
      await seed(100, 90);
      const d = await open();
      await d.wal.load();
      await d.wal.saveSnapshot(snap(80, 1));
      await d.wal.compact(50); // below the snapshot: 51..80 retained for slow followers
      let loaded = await reopen();
      expect(loaded.entries.map((e) => e.index)).toEqual(entries(81, 100, 1).map((e) => e.index));
      await close();
      expect((await rawEntryIndexes(h))[0]).toBe(51);
      const d2 = await open();
      await d2.wal.load();
      await expect(d2.wal.compact(81)).rejects.toThrow(/beyond the snapshot/);
      await close();
      const d3 = await open();
      await d3.wal.load();
      await d3.wal.compact(80);
      loaded = await reopen();
      expect(loaded.firstIndex).toBe(81);
      expect(loaded.entries.length).toBe(20);
      await close();
      expect(await rawEntryIndexes(h)).toEqual(entries(81, 100, 1).map((e) => e.index));
    });

    it('serves saves while a compaction trims in chunks', async () => {
      await seed(5000, 4990);
      const d = await open();
      await d.wal.load();
      await d.wal.saveSnapshot(snap(4900, 1));
      const compaction = d.wal.compact(4900);
      await d.wal.save(hs(1, 5000), entries(5001, 5002, 1), { sync: true });
      await compaction;
      await d.wal.compact(4900); // idempotent
      const loaded = await reopen();
      expect(loaded.entries.map((e) => e.index)).toEqual(entries(4901, 5002, 1).map((e) => e.index));
      await close();
      expect((await rawEntryIndexes(h)).length).toBe(102);
    });

    it('finishes an interrupted prefix deletion on open', async () => {
      await seed(40, 30);
      // As if compact(20) crashed right after moving the first index.
      await rawWrite(h, [
        { type: 'put', key: SNAPSHOT_KEY, value: encodeSnapshotMeta(SNAPSHOT_KEY, snap(25, 1)) },
        { type: 'put', key: FIRST_INDEX_KEY, value: encodeIndex(FIRST_INDEX_KEY, 21) },
        { type: 'put', key: TRIM_INDEX_KEY, value: encodeIndex(TRIM_INDEX_KEY, 1) },
      ]);
      const loaded = await reopen();
      expect(loaded.entries.map((e) => e.index)).toEqual(entries(26, 40, 1).map((e) => e.index));
      await close();
      expect((await rawEntryIndexes(h))[0]).toBe(21);
    });

    it('rejects a corrupted record, naming the data dir, the index and the problem', async () => {
      await seed(10, 8);
      const key = entryKey(5);
      const bad = flipped(await h.raw(async (kv) => kv.get(key)), -1, 0xff);
      await rawWrite(h, [{ type: 'put', key, value: bad }]);
      await expectCorrupt(open().then((d) => d.wal.load()), h.label, 'wal entry 5', 'crc mismatch (stored');
    });

    it('rejects a record stored under the wrong key', async () => {
      await seed(10, 8);
      const six = await h.raw(async (kv) => kv.get(entryKey(6)));
      await rawWrite(h, [{ type: 'put', key: entryKey(5), value: six ?? new Uint8Array() }]);
      await expectCorrupt(open().then((d) => d.wal.load()), 'wal entry 5', 'crc mismatch');
    });

    it('rejects a missing entry', async () => {
      await seed(10, 8);
      await rawWrite(h, [{ type: 'del', key: entryKey(5) }]);
      await expectCorrupt(open().then((d) => d.wal.load()), h.label, 'wal entry 5: missing (the next stored entry is 6)');
    });

    it('rejects a truncated record and a tail cut below the commit index', async () => {
      await seed(10, 8);
      const last = await h.raw(async (kv) => kv.get(entryKey(10)));
      await rawWrite(h, [{ type: 'put', key: entryKey(10), value: (last ?? new Uint8Array()).subarray(0, 3) }]);
      await expectCorrupt(open().then((d) => d.wal.load()), 'wal entry 10: truncated record');
      await close();
      await rawWrite(h, [8, 9, 10].map((i) => ({ type: 'del' as const, key: entryKey(i) })));
      await expectCorrupt(open().then((d) => d.wal.load()), 'wal entry 8: missing', 'commit index is 8; truncated tail');
    });

    it('rejects a corrupt hard state, a term above it, and a snapshot above commit', async () => {
      await seed(5, 3, 2);
      const bad = flipped(await h.raw(async (kv) => kv.get(HARD_STATE_KEY)), 0, 1);
      await rawWrite(h, [{ type: 'put', key: HARD_STATE_KEY, value: bad }]);
      await expectCorrupt(open().then((d) => d.wal.load()), 'wal hard state: crc mismatch');
      await close();
      await rawWrite(h, [
        { type: 'put', key: HARD_STATE_KEY, value: encodeHardState(HARD_STATE_KEY, hs(2, 3)) },
        { type: 'put', key: entryKey(5), value: encodeEntry(entryKey(5), { index: 5, term: 3, type: 'normal', data: new Uint8Array() }) },
      ]);
      await expectCorrupt(open().then((d) => d.wal.load()), "wal entry 5: term 3 is above the hard state's term 2");
      await close();
      await rawWrite(h, [
        { type: 'put', key: entryKey(5), value: encodeEntry(entryKey(5), { index: 5, term: 2, type: 'normal', data: new Uint8Array() }) },
        { type: 'put', key: SNAPSHOT_KEY, value: encodeSnapshotMeta(SNAPSHOT_KEY, snap(4, 2)) },
      ]);
      await expectCorrupt(open().then((d) => d.wal.load()), "snapshot index 4 is above the hard state's commit index 3");
    });

    it('repairs a bad tail beyond commit, and refuses one at or below commit', async () => {
      await seed(10, 6);
      const bad = flipped(await h.raw(async (kv) => kv.get(entryKey(8))), 6, 0x55);
      await rawWrite(h, [{ type: 'put', key: entryKey(8), value: bad }]);
      await expectCorrupt(open().then((d) => d.wal.load()), 'wal entry 8');
      await close();
      expect(await h.repair()).toEqual({ dropped: 3, lastIndex: 7 });
      const loaded = await reopen();
      expect(loaded.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      await close();
      expect(await h.repair()).toEqual({ dropped: 0, lastIndex: 7 });
      await rawWrite(h, [{ type: 'del', key: entryKey(4) }]);
      await expectCorrupt(h.repair(), 'wal entry 4: missing', 'not repairable');
      expect(await rawEntryIndexes(h)).toEqual([1, 2, 3, 5, 6, 7]);
    });

    it('refuses operations after close and a second load', async () => {
      const d = await open();
      await d.wal.load();
      await expect(d.wal.load()).rejects.toThrow(/twice/);
      await d.wal.close();
      await expect(d.wal.save(hs(1, 0), [], { sync: true })).rejects.toThrow(/closed/);
    });
  });
}
