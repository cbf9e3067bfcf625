/**
 * The WAL rewrite behind --force-new-cluster (src/server/force-new-cluster.ts), checked against
 * raft's own configuration changer: whatever the configuration at the commit index (plain,
 * joint, this member a learner), the appended entries leave exactly this member as the only
 * voter; the uncommitted tail is gone from the WAL, durably; a removed member is refused.
 */
import { describe, expect, it } from 'vitest';
import { decodeConfChange, encodeConfChange } from '../../src/raft/index.js';
import { Changer, restoreConfig } from '../../src/raft/confchange.js';
import { isJoint } from '../../src/raft/tracker.js';
import type { ConfState, Entry } from '../../src/raft/types.js';
import { forceNewCluster } from '../../src/server/force-new-cluster.js';
import { MemoryKv } from '../../src/storage/memory-kv.js';
import { MemoryWal } from '../../src/storage/memory-wal.js';

const conf = (voters: number[], more: Partial<ConfState> = {}): ConfState => ({ voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false, ...more });
const normal = (index: number, term = 2): Entry => ({ index, term, type: 'normal', data: new Uint8Array([index]) });
const LIMITS = { maxInflight: 1, maxInflightBytes: 0 };

/** A disk whose WAL has a snapshot at 10 holding `cs`, then `entries`, committed up to `commit`. */
async function diskWith(cs: ConfState, entries: Entry[], commit: number): Promise<MemoryKv> {
  const wal = new MemoryWal(new MemoryKv());
  await wal.load();
  await wal.saveSnapshot({ index: 10, term: 1, confState: cs }, { term: 2, vote: 1, commit: 10 });
  await wal.save({ term: 2, vote: 1, commit }, entries, { sync: true });
  await wal.close();
  return wal.disk;
}

/** Opens the disk's WAL as start-up does, and hands it to `fn`. */
async function withWal<T>(disk: MemoryKv, fn: (wal: MemoryWal, state: Awaited<ReturnType<MemoryWal['load']>>) => Promise<T>): Promise<T> {
  const wal = new MemoryWal(disk);
  try {
    return await fn(wal, await wal.load());
  } finally {
    await wal.close();
  }
}

/** The configuration after applying, with raft's changer, every conf change in `entries`. */
function configAfter(cs: ConfState, entries: readonly Entry[]) {
  let c = restoreConfig(LIMITS, 10, cs);
  for (const e of entries) if (e.type === 'confChangeV2') c = new Changer({ ...LIMITS, ...c }, e.index).apply(decodeConfChange(e.data));
  return c.config;
}

async function forceAndCheck(cs: ConfState, entries: Entry[], commit: number, self: number, backendApplied = 10) {
  const disk = await diskWith(cs, entries, commit);
  const { forced, state } = await withWal(disk, (wal, loaded) => forceNewCluster(wal, loaded, self, backendApplied));
  const config = configAfter(cs, state.entries);
  expect(isJoint(config)).toBe(false);
  expect([...config.voters[0]]).toEqual([self]);
  expect([...config.learners]).toEqual([]);
  // What start-up reads back is what was returned: the rewrite is in the WAL, committed.
  const reread = await withWal(disk, async (_wal, loaded) => loaded);
  expect(reread.hardState.commit).toBe(forced.commit);
  expect(reread.entries.map((e) => [e.index, e.type])).toEqual(state.entries.map((e) => [e.index, e.type]));
  return { forced, state };
}

describe('forceNewCluster (the WAL rewrite)', () => {
  it('drops the uncommitted tail and appends one removal per other member, committed', async () => {
    const entries = [11, 12, 13, 14].map((i) => normal(i));
    const { forced, state } = await forceAndCheck(conf([1, 2, 3]), entries, 12, 1);
    expect(forced).toEqual({ removed: [2, 3], discarded: 2, appended: 2, commit: 14 });
    expect(state.entries.slice(0, 2)).toEqual(entries.slice(0, 2));
    expect(state.entries.slice(2).every((e) => e.type === 'confChangeV2' && e.term === 2)).toBe(true);
  });

  it('never replaces an entry the backend applied, even if the stored commit index lags it', async () => {
    const entries = [11, 12, 13, 14].map((i) => normal(i));
    const { forced, state } = await forceAndCheck(conf([1, 2, 3]), entries, 12, 1, 13);
    expect(forced).toMatchObject({ discarded: 1, commit: 15 });
    expect(state.entries.slice(0, 3)).toEqual(entries.slice(0, 3));
  });

  it('counts committed conf changes after the snapshot (a member added since is removed too)', async () => {
    const add4: Entry = { index: 11, term: 2, type: 'confChangeV2', data: encodeConfChange({ transition: 'auto', changes: [{ type: 'addNode', nodeId: 4 }], context: new Uint8Array(0) }) };
    const { forced } = await forceAndCheck(conf([1, 2, 3]), [add4], 11, 1);
    expect(forced.removed).toEqual([2, 3, 4]);
  });

  it('leaves a joint configuration first', async () => {
    const joint = conf([1, 2], { votersOutgoing: [1, 2, 3], autoLeave: true });
    const { state } = await forceAndCheck(joint, [], 10, 1);
    expect(decodeConfChange((state.entries[0] as Entry).data).changes).toEqual([]);
  });

  it('promotes this member when it is a learner', async () => {
    const { forced, state } = await forceAndCheck(conf([2, 3], { learners: [1] }), [], 10, 1);
    expect(forced.removed).toEqual([2, 3]);
    expect(decodeConfChange((state.entries[0] as Entry).data).changes).toEqual([{ type: 'addNode', nodeId: 1 }]);
  });

  it('refuses a member that is not in the configuration', async () => {
    const disk = await diskWith(conf([2, 3]), [], 10);
    await expect(withWal(disk, (wal, loaded) => forceNewCluster(wal, loaded, 1, 10))).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});
