/**
 * `--force-new-cluster` (etcd `bootstrapRaftFromWALStandalone` + `createConfigChangeEnts`): the
 * way back from a lost quorum. The member keeps its data — key space, revisions, leases, the
 * cluster ID — and becomes a one-member cluster. As etcd does, it rewrites membership through
 * the log, never around it: the entries it holds beyond its commit index are discarded (no
 * quorum will ever decide them), then conf change entries that leave any joint configuration,
 * make this member a voter and remove every other member are appended and marked committed, in
 * one synced WAL batch. On start they are applied like any committed entry: raft's
 * configuration and the member table (which remembers the removed IDs, so an old member that
 * comes back is refused) both end as this member alone, and stay so on every later restart.
 */
import { decodeConfChange, encodeConfChange } from '../raft/index.js';
import { Changer, restoreConfig, type ConfResult } from '../raft/confchange.js';
import { isJoint } from '../raft/tracker.js';
import type { ConfChangeSingle, ConfChangeV2, Entry } from '../raft/types.js';
import type { Wal, WalState } from '../storage/wal.js';
import { KvError } from '../util/errors.js';

/** What the rewrite did, for the log. */
export interface ForcedNewCluster {
  /** Members removed from the configuration. */
  readonly removed: readonly number[];
  /** Uncommitted entries dropped from the end of the log. */
  readonly discarded: number;
  /** Conf change entries appended (0: the member was alone already). */
  readonly appended: number;
  /** The index of the last appended entry (the new commit index). */
  readonly commit: number;
}

/** Progress tracking is irrelevant here; the Changer only needs some inflight limits. */
const REPLAY_LIMITS = { maxInflight: 1, maxInflightBytes: 0 };

/** The configuration after every committed conf change, replayed from the snapshot's. */
function committedConfig(state: WalState, commit: number): ConfResult {
  const snapshot = state.snapshot;
  if (snapshot === undefined) throw new KvError('InvalidArgument', '--force-new-cluster: this member has no snapshot yet (it never joined): there is no data to start a cluster from');
  let conf = restoreConfig(REPLAY_LIMITS, snapshot.index, snapshot.confState);
  for (const e of state.entries) {
    if (e.index > commit || e.type !== 'confChangeV2') continue;
    conf = new Changer({ ...REPLAY_LIMITS, ...conf }, e.index).apply(decodeConfChange(e.data));
  }
  return conf;
}

function single(change: ConfChangeSingle): ConfChangeV2 {
  return { transition: 'auto', changes: [change], context: new Uint8Array(0) };
}

/**
 * The conf changes that take `conf` to "`selfId` alone", each a simple change (one voter at a
 * time), so none needs a quorum of the old configuration to be meaningful.
 */
function changesToAlone(conf: ConfResult, selfId: number): ConfChangeV2[] {
  const { config } = conf;
  const changes: ConfChangeV2[] = [];
  let voters = config.voters[0];
  let learners = config.learners;
  if (isJoint(config)) {
    changes.push({ transition: 'auto', changes: [], context: new Uint8Array(0) }); // leave joint
    learners = new Set([...learners, ...config.learnersNext]);
  }
  if (!voters.has(selfId)) {
    if (!learners.has(selfId)) {
      throw new KvError('InvalidArgument', `--force-new-cluster: member ${selfId.toString(16)} is not in the cluster's configuration (it was removed): its data cannot start a new cluster`);
    }
    changes.push(single({ type: 'addNode', nodeId: selfId })); // promote the learner
    voters = new Set([...voters, selfId]);
    learners = new Set([...learners].filter((id) => id !== selfId));
  }
  const others = [...voters, ...learners].filter((id) => id !== selfId).sort((a, b) => a - b);
  for (const id of others) changes.push(single({ type: 'removeNode', nodeId: id }));
  return changes;
}

/** Rewrites the WAL so this member restarts as a one-member cluster; returns the state to start from. */
export async function forceNewCluster(wal: Wal, state: WalState, selfId: number, backendApplied: number): Promise<{ state: WalState; forced: ForcedNewCluster }> {
  const hs = state.hardState;
  // The hard state's commit is written lazily; an entry the backend has applied was committed
  // even if the commit index saying so was not yet durable: it must never be replaced.
  const commit = Math.max(hs.commit, backendApplied);
  const lastHeld = state.entries[state.entries.length - 1]?.index ?? state.snapshot?.index ?? 0;
  if (commit > lastHeld) throw new KvError('StorageCorrupt', `--force-new-cluster: the backend applied entry ${commit} but the WAL ends at ${lastHeld}`);
  const conf = committedConfig(state, commit);
  const changes = changesToAlone(conf, selfId);
  const kept = state.entries.filter((e) => e.index <= commit);
  const discarded = state.entries.length - kept.length;
  const removed = changes.flatMap((cc) => cc.changes.filter((c) => c.type === 'removeNode').map((c) => c.nodeId));
  if (changes.length === 0) return { state, forced: { removed, discarded: 0, appended: 0, commit } };
  // The term of the hard state, as etcd's: no leader of a later term can exist, since this
  // member is the only voter from here on and its next election starts at term + 1.
  const appended: Entry[] = changes.map((cc, i) => ({ term: hs.term, index: commit + 1 + i, type: 'confChangeV2', data: encodeConfChange(cc) }));
  const last = appended[appended.length - 1] as Entry;
  const newHs = { ...hs, commit: last.index };
  // One synced batch: the uncommitted tail goes in the same write as the entries replacing it.
  await wal.save(newHs, appended, { sync: true });
  return { state: { ...state, hardState: newHs, entries: [...kept, ...appended] }, forced: { removed, discarded, appended: appended.length, commit: last.index } };
}
