/**
 * Snapshot install under crashes (issue 13): a follower receiving a snapshot is crashed at every
 * step of the install — a process kill, or a power loss that drops or tears what was not synced —
 * and must restart without a wipe, holding either its old state or the snapshot's, under its own
 * member ID, then catch up with the leader.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadAppliedState } from '../../src/server/applied-state.js';
import type { InstallStep } from '../../src/storage/data-dir.js';
import { MemoryDataDir } from '../../src/storage/data-dir.js';
import { SELF_ID_KEY } from '../../src/storage/keys.js';
import type { MemoryKvDir } from '../../src/storage/memory-kv-dir.js';
import { utf8 } from '../../src/util/bytes.js';
import { SeededRng } from '../../src/util/rng.js';
import { eventually, startCluster, type TestCluster } from './cluster-harness.js';

type Fault = 'kill' | 'drop' | 'tear';
const STEPS: InstallStep[] = ['staged', 'synced', 'pointer-written', 'switched', 'moved'];
const FAULTS: Fault[] = ['kill', 'drop', 'tear'];

/** Which state a crash at `step` must leave: the pointer is durable once its directory is synced. */
function survivor(step: InstallStep, fault: Fault): 'old' | 'new' {
  if (step === 'staged' || step === 'synced') return 'old';
  if (step === 'pointer-written') return fault === 'kill' ? 'new' : 'old';
  return 'new';
}

interface OnDisk {
  applied: number;
  walSnapshot: number;
  selfId: number;
  stores: string[];
}

async function inspect(disk: MemoryKvDir): Promise<OnDisk> {
  const dd = await MemoryDataDir.open(disk);
  try {
    const wal = await dd.wal.load();
    const applied = await loadAppliedState(dd.backend);
    const raw = await dd.backend.get('members', SELF_ID_KEY);
    if (applied === undefined || raw === undefined) throw new Error('no applied index or self ID on disk');
    const selfId = Number(new DataView(raw.buffer, raw.byteOffset, 8).getBigUint64(0));
    return { applied: applied.index, walSnapshot: wal.snapshot?.index ?? 0, selfId, stores: await disk.stores() };
  } finally {
    await dd.close();
  }
}

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

/** A 3-member cluster that compacts often, and a follower of it that will need snapshots. */
async function withLaggard() {
  cluster = await startCluster(3, { snapshotCount: 20, snapshotCatchUpEntries: 5 });
  const c = cluster;
  const leader = await c.leader();
  const lag = c.names.find((n) => c.members.get(n) !== leader) as string;
  return { c, leader, lag, lagId: c.members.get(lag)!.id, disk: c.disks.get(lag)! };
}

/** Starts `lag`, crashes its disk with `fault` when its install reaches `step`, and stops it. */
async function crashDuringInstall(c: TestCluster, lag: string, disk: MemoryKvDir, step: InstallStep, fault: Fault, seed: number): Promise<void> {
  let hit!: () => void;
  const crashed = new Promise<void>((resolve) => (hit = resolve));
  await c.start(lag, {
    onInstallStep: async (s) => {
      if (s !== step) return;
      if (fault === 'kill') disk.kill();
      else disk.powerLoss(fault, new SeededRng(seed));
      hit();
    },
  });
  await crashed;
  await c.stop(lag).catch(() => undefined);
}

describe('snapshot install survives a crash at every step', () => {
  it('restarts into the old state or the snapshot, as itself, and catches up', async () => {
    const { c, leader, lag, lagId, disk } = await withLaggard();
    let round = 0;
    for (const step of STEPS) {
      for (const fault of FAULTS) {
        round++;
        await c.stop(lag);
        const before = await inspect(disk);
        for (let i = 0; i < 30; i++) await leader.put({ key: utf8(`r${round}/k${i}`), value: utf8(`${i}`) });
        await crashDuringInstall(c, lag, disk, step, fault, round);

        const label = `${step}/${fault}`;
        const after = await inspect(disk).catch((err: unknown) => {
          throw new Error(`${label}: ${String(err)}`);
        });
        expect(after.selfId, label).toBe(lagId);
        expect(after.stores, label).toHaveLength(1); // the loser of the switch is gone
        if (survivor(step, fault) === 'old') {
          // No install took effect: the WAL still stands at its own snapshot. The member may have
          // applied committed entries the leader still held before it fell back to a snapshot, so
          // applied may move on, never back.
          expect(after.walSnapshot, label).toBe(before.walSnapshot);
          expect(after.applied, label).toBeGreaterThanOrEqual(before.applied);
        } else {
          expect(after.applied, label).toBeGreaterThan(before.applied);
          expect(after.walSnapshot, label).toBe(after.applied);
        }

        const again = await c.start(lag);
        expect(again.id, label).toBe(lagId);
        await eventually(async () => {
          const [a, b] = await Promise.all([leader.hashKV(), again.hashKV()]);
          expect(b.revision).toBe(a.revision);
          expect(b.hash).toBe(a.hash);
        }, 10_000);
      }
    }
  }, 120_000);

  it('a kill right after the switch keeps the member its own identity (not the leader\'s)', async () => {
    const { c, leader, lag, lagId, disk } = await withLaggard();
    await c.stop(lag);
    for (let i = 0; i < 40; i++) await leader.put({ key: utf8(`k${i}`), value: utf8(`${i}`) });
    await crashDuringInstall(c, lag, disk, 'switched', 'kill', 1);
    expect((await inspect(disk)).selfId).toBe(lagId);
    const again = await c.start(lag);
    expect(again.id).toBe(lagId);
    expect(again.id).not.toBe(leader.id);
  }, 30_000);
});
