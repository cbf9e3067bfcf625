/**
 * A snapshot's log compaction must not hold the member's Ready loop: `compact()` resolves once the
 * first index has moved, and saves go on, while the old prefix is still being deleted and its
 * range compacted (LevelDB's compaction of 100k deleted entries took ~1 s, and a leader waiting
 * for it missed its heartbeats at every snapshot).
 */
import { describe, expect, it } from 'vitest';
import type { OrderedKv } from '../../src/storage/kv.js';
import { MemoryKv } from '../../src/storage/memory-kv.js';
import { MemoryWal } from '../../src/storage/memory-wal.js';
import { entries, hs, snap } from './wal-conformance.js';

/** Delegates to `inner`, but holds every compactRange until `release()`. */
function gatedCompaction(inner: OrderedKv): { kv: OrderedKv; release: () => void; started: () => boolean } {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let started = false;
  const kv: OrderedKv = {
    label: inner.label,
    get: (k) => inner.get(k),
    iterate: (o) => inner.iterate(o),
    keys: (o) => inner.keys(o),
    batch: (ops, o) => inner.batch(ops, o),
    snapshot: () => inner.snapshot(),
    compactRange: async (a, b) => {
      started = true;
      await gate;
      return inner.compactRange(a, b);
    },
    sizeBytes: () => inner.sizeBytes(),
    close: () => inner.close(),
  };
  return { kv, release: () => open(), started: () => started };
}

const within = <T>(p: Promise<T>, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} waited for the prefix deletion`)), 2000))]);

describe('WAL compaction', () => {
  it('returns, and lets saves through, while the old prefix is still being deleted', async () => {
    const disk = new MemoryKv();
    const gated = gatedCompaction(disk.open());
    const wal = new MemoryWal(disk, gated.kv);
    await wal.load();
    await wal.save(hs(1, 200), entries(1, 200, 1), { sync: true });
    await wal.saveSnapshot(snap(150, 1));
    await within(wal.compact(150), 'compact()');
    await within(wal.save(hs(1, 201), entries(201, 201, 1), { sync: true }), 'a save');
    // The deletion is done but held in its range compaction: the trim is still running.
    while (!gated.started()) await new Promise((r) => setImmediate(r));
    let trimmed = false;
    const done = wal.trimmed().then(() => (trimmed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(trimmed).toBe(false);
    gated.release();
    await done;
    await wal.close();
    await gated.kv.close();
    const reopened = new MemoryWal(disk);
    const loaded = await reopened.load();
    expect(loaded.firstIndex).toBe(151);
    expect(loaded.entries.map((e) => e.index)).toEqual(entries(151, 201, 1).map((e) => e.index));
    await reopened.close();
  });
});
