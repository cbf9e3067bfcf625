/**
 * MemoryWal's power loss (the only way to exercise one: LevelDB keeps unsynced writes across a
 * process kill). Seeded random histories of saves; after a power loss the reopened WAL must hold
 * exactly the state after the last synced save, whatever the loss pattern: the WAL writes no
 * unsynced batch (a commit-only save writes nothing; the next synced batch stores its commit).
 */
import { describe, expect, it } from 'vitest';
import type { Entry, HardState, SnapshotMetadata } from '../../src/raft/types.js';
import { MemoryDataDir } from '../../src/storage/data-dir.js';
import { MemoryKv, type PowerLossMode } from '../../src/storage/memory-kv.js';
import { SeededRng } from '../../src/util/rng.js';
import { entries, snap } from './wal-conformance.js';

interface ModelState {
  readonly hardState: HardState;
  /** The whole log from index 1; the WAL returns the part after the snapshot. */
  readonly log: readonly Entry[];
  readonly snapshot: SnapshotMetadata | undefined;
}

function summary(s: ModelState): string {
  const after = s.log.filter((e) => e.index > (s.snapshot?.index ?? 0));
  return JSON.stringify({ hs: s.hardState, snap: s.snapshot, log: after.map((e) => `${e.index}@${e.term}:${Buffer.from(e.data).toString()}`) });
}

/** Returns [unsynced batches at the power loss, batches kept]. */
async function runHistory(seed: number, mode: PowerLossMode): Promise<[number, number]> {
  const rng = new SeededRng(seed);
  const disk = new MemoryKv(`seed-${seed}`);
  let dd = await MemoryDataDir.open(disk);
  await dd.wal.load();
  let model: ModelState = { hardState: { term: 1, vote: 1, commit: 0 }, log: [], snapshot: undefined };
  await dd.wal.save(model.hardState, [], { sync: true });
  const afterBatch: ModelState[] = [model]; // state after each batch since the last synced one
  const steps = 5 + rng.int(30);
  for (let step = 0; step < steps; step++) {
    const last = model.log.length;
    const { term, commit } = model.hardState;
    const snapIndex = model.snapshot?.index ?? 0;
    if (rng.next() < 0.15 && commit > snapIndex) {
      // A snapshot of our own log, then compaction: every batch of both is synced.
      const index = snapIndex + 1 + rng.int(commit - snapIndex);
      const snapshot = snap(index, model.log[index - 1]?.term ?? 0);
      await dd.wal.saveSnapshot(snapshot);
      model = { ...model, snapshot };
      await dd.wal.compact(index - rng.int(index));
      await dd.wal.trimmed();
      expect(disk.unsyncedBatches()).toBe(0);
      afterBatch.length = 0;
      afterBatch.push(model);
    } else if (rng.next() < 0.3 || commit === last) {
      const newTerm = rng.next() < 0.2 ? term + 1 : term;
      const from = commit + 1 + rng.int(last - commit + 1); // may overwrite an uncommitted suffix
      const es = entries(from, from + rng.int(3), newTerm, `s${step}`);
      const hardState = { term: newTerm, vote: newTerm === term ? model.hardState.vote : 1 + rng.int(3), commit };
      await dd.wal.save(hardState, es, { sync: true });
      model = { ...model, hardState, log: [...model.log.slice(0, from - 1), ...es] };
      afterBatch.length = 0;
      afterBatch.push(model);
    } else {
      const hardState = { ...model.hardState, commit: commit + 1 + rng.int(last - commit) };
      await dd.wal.save(hardState, [], { sync: false }); // commit-only: writes nothing
      model = { ...model, hardState };
      if (rng.next() < 0.3) {
        // A synced batch that stores nothing of its own (the backend's flush) stores the commit.
        await dd.wal.flushCarried();
        afterBatch.length = 0;
        afterBatch.push(model);
      }
    }
  }
  expect(afterBatch).toHaveLength(1);
  const unsynced = disk.unsyncedBatches();
  const kept = disk.powerLoss(mode, rng);
  expect(kept).toBe(0);
  await expect(dd.wal.save(undefined, [], { sync: true })).rejects.toMatchObject({ code: 'Stopped' });
  dd = await MemoryDataDir.open(disk);
  const loaded = await dd.wal.load();
  const expected = afterBatch[kept];
  expect(expected, `seed ${seed}`).toBeDefined();
  expect(summary({ hardState: loaded.hardState, log: loaded.entries, snapshot: loaded.snapshot }), `seed ${seed}`).toBe(summary(expected as ModelState));
  await dd.close();
  return [unsynced, kept];
}

describe('MemoryWal power loss', () => {
  it('drop keeps exactly what was synced (200 seeded histories)', async () => {
    for (let seed = 1; seed <= 200; seed++) await runHistory(seed, 'drop');
  });

  it('tear has nothing to tear: the WAL leaves no unsynced batch (200 seeded histories)', async () => {
    for (let seed = 1001; seed <= 1200; seed++) {
      const [unsynced] = await runHistory(seed, 'tear');
      expect(unsynced, `seed ${seed}`).toBe(0);
    }
  });

  it('a commit-only save is stored by the next synced batch or a clean close, not on its own; one opener holds the disk', async () => {
    const disk = new MemoryKv('kill');
    let dd = await MemoryDataDir.open(disk);
    await dd.wal.load();
    await dd.wal.save({ term: 1, vote: 1, commit: 0 }, entries(1, 3, 1), { sync: true });
    await dd.wal.save({ term: 1, vote: 1, commit: 2 }, [], { sync: false });
    await expect(MemoryDataDir.open(disk)).rejects.toMatchObject({ code: 'StorageLocked' });
    disk.kill();
    dd = await MemoryDataDir.open(disk);
    expect((await dd.wal.load()).hardState.commit).toBe(0);
    await dd.wal.save({ term: 1, vote: 1, commit: 2 }, [], { sync: false });
    await dd.wal.save(undefined, entries(4, 4, 1), { sync: true });
    disk.kill();
    dd = await MemoryDataDir.open(disk);
    expect((await dd.wal.load()).hardState.commit).toBe(2);
    await dd.wal.save({ term: 1, vote: 1, commit: 3 }, [], { sync: false });
    await dd.close();
    dd = await MemoryDataDir.open(disk);
    expect((await dd.wal.load()).hardState.commit).toBe(3);
    await dd.close();
  });
});
