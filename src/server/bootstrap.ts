/**
 * Startup: turns a data directory into the state a member starts from. A new cluster's members
 * all begin from the same snapshot at index 1 that holds the initial voters (so every log
 * agrees, and a member added later catches up by snapshot). A restarting member recovers from
 * its WAL and backend, and first repairs the one gap a crash can leave between them: a
 * snapshot installed in the backend but not yet recorded in the WAL. A member joining an
 * existing cluster learns its ID and the member table from a peer (join.ts) and starts with an
 * empty log at index 0; the leader sends it a snapshot.
 */
import { MemoryStorage } from '../raft/storage.js';
import { NONE, type ConfState, type HardState, type SnapshotMetadata } from '../raft/types.js';
import type { Backend, BackendOp } from '../storage/backend.js';
import type { Wal, WalState } from '../storage/wal.js';
import { SELF_ID_KEY } from '../storage/keys.js';
import { KvError } from '../util/errors.js';
import { appliedStateOp, loadAppliedState, type AppliedState } from './applied-state.js';
import type { MemberConfig } from './config.js';
import { Cluster } from './membership.js';
import { clusterFromAnswer, discoverCluster, type JoinQueryFn } from './join.js';
import { forceNewCluster, type ForcedNewCluster } from './force-new-cluster.js';

export interface RecoveredState {
  readonly selfId: number;
  readonly cluster: Cluster;
  readonly storage: MemoryStorage;
  /** Where raft's apply restarts: the WAL snapshot's index. */
  readonly snapshot: SnapshotMetadata;
  /** What the backend already holds. */
  readonly backendApplied: AppliedState;
  /** True when this start created the member. */
  readonly fresh: boolean;
  /** What `--force-new-cluster` rewrote, when it was given for existing data. */
  readonly forced?: ForcedNewCluster;
}

/**
 * The record of which member this data dir belongs to. It lives in the `members` bucket but is
 * never replicated: snapshots leave it out, and an install writes this member's own into the
 * staged store before switching to it (src/storage/keys.ts isLocalRecord).
 */
export function selfIdOp(memberId: number): BackendOp {
  return { type: 'put', bucket: 'members', key: SELF_ID_KEY, value: encodeId(memberId) };
}

function encodeId(id: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(id));
  return out;
}

function isEmptyWal(w: WalState): boolean {
  return w.hardState.term === 0 && w.hardState.commit === 0 && w.snapshot === undefined && w.entries.length === 0;
}

function lastIndexOf(w: WalState): number {
  const last = w.entries[w.entries.length - 1];
  return last !== undefined ? last.index : (w.snapshot?.index ?? 0);
}

const EMPTY_CONF: ConfState = { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };

/**
 * `--initial-cluster-state existing` with no data: asks a peer who this member is and records
 * the member table and its ID at applied index 0 (no snapshot; raft starts empty and the leader
 * catches it up by snapshot, which brings the configuration with it).
 */
async function joinExistingCluster(config: MemberConfig, backend: Backend, query: JoinQueryFn): Promise<void> {
  const answer = await discoverCluster(config, query);
  const cluster = clusterFromAnswer(answer);
  await backend.write(
    [
      ...cluster.allOps(),
      selfIdOp(answer.memberId),
      appliedStateOp({ index: 0, term: 0, confState: EMPTY_CONF }),
    ],
    { sync: true },
  );
}

/**
 * Writes the state every member of a brand-new cluster starts from: the member table, this
 * member's ID, and a snapshot at index 1 holding the initial voters. `replacedMembers` are
 * member-table keys to delete first (a backup's old membership, when restoring one).
 */
export async function initializeNewCluster(config: MemberConfig, wal: Wal, backend: Backend, replacedMembers: readonly Uint8Array[] = []): Promise<Cluster> {
  const cluster = Cluster.bootstrap(config.initialCluster, config.initialClusterToken);
  const self = cluster.list().find((m) => m.name === config.name);
  if (self === undefined) throw new KvError('InvalidArgument', `--initial-cluster has no member named ${config.name}`);
  const confState: ConfState = { voters: cluster.voterIds(), learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  const meta: SnapshotMetadata = { index: 1, term: 1, confState };
  // Backend first: a crash before the WAL record is repaired on the next start (see recover).
  await backend.write(
    [
      ...replacedMembers.map((key) => ({ type: 'del' as const, bucket: 'members' as const, key })),
      ...cluster.allOps(),
      selfIdOp(self.id),
      appliedStateOp({ index: 1, term: 1, confState }),
    ],
    { sync: true },
  );
  const hs: HardState = { term: 1, vote: NONE, commit: 1 };
  await wal.saveSnapshot(meta, hs);
  return cluster;
}

/** Loads (or creates) the member's state; `wal.load()` must not have been called yet. */
export async function recover(config: MemberConfig, wal: Wal, backend: Backend, join?: JoinQueryFn): Promise<RecoveredState> {
  let walState = await wal.load();
  let applied = await loadAppliedState(backend);
  let fresh = false;
  if (applied === undefined) {
    if (!isEmptyWal(walState)) {
      throw new KvError('StorageCorrupt', `${config.dataDir}: the WAL has raft state but the backend has no applied index`);
    }
    fresh = true;
    if (config.initialClusterState === 'new') {
      await initializeNewCluster(config, wal, backend);
      walState = { ...walState, hardState: { term: 1, vote: NONE, commit: 1 }, firstIndex: 2 };
      applied = await loadAppliedState(backend);
      walState = { ...walState, snapshot: applied && { index: applied.index, term: applied.term, confState: applied.confState } };
    } else {
      if (join === undefined) throw new KvError('InvalidArgument', `${config.dataDir}: no data, and no way to ask the cluster to join`);
      await joinExistingCluster(config, backend, join);
      applied = await loadAppliedState(backend);
    }
  }
  if (applied === undefined) throw new KvError('StorageCorrupt', `${config.dataDir}: backend lost its applied index`);
  const cluster = await Cluster.load(backend);
  const rawSelf = await backend.get('members', SELF_ID_KEY);
  if (cluster === undefined || rawSelf === undefined) {
    throw new KvError('StorageCorrupt', `${config.dataDir}: the backend has no member table`);
  }
  const selfId = Number(new DataView(rawSelf.buffer, rawSelf.byteOffset, 8).getBigUint64(0));
  // A data dir is one member's: starting it under another name would make two processes claim
  // one member ID. (A member that joined but has not published its name yet has none to check.)
  const stored = cluster.get(selfId);
  if (stored !== undefined && stored.name !== '' && stored.name !== config.name) {
    throw new KvError(
      'StorageCorrupt',
      `${config.dataDir}: this data dir belongs to member ${selfId.toString(16)} named "${stored.name}", not to --name=${config.name}; start it with --name=${stored.name} or give this member its own data dir`,
    );
  }

  // A snapshot restored into the backend whose WAL record was lost to a crash: record it now.
  const walSnapIndex = walState.snapshot?.index ?? 0;
  if (applied.index > walSnapIndex && applied.index > lastIndexOf(walState)) {
    const meta: SnapshotMetadata = { index: applied.index, term: applied.term, confState: applied.confState };
    const hs: HardState = {
      term: Math.max(walState.hardState.term, applied.term),
      vote: walState.hardState.term >= applied.term ? walState.hardState.vote : NONE,
      commit: Math.max(walState.hardState.commit, applied.index),
    };
    await wal.saveSnapshot(meta, hs);
    walState = { hardState: hs, snapshot: meta, entries: [], firstIndex: applied.index + 1 };
  }

  // The WAL never records a snapshot above the backend's durable applied index (the record's batch
  // carries the backend's pending writes), and compaction stays below the snapshot. A backend
  // behind the snapshot has lost applied entries the WAL no longer holds: refuse, never diverge.
  if (applied.index < (walState.snapshot?.index ?? 0)) {
    throw new KvError(
      'StorageCorrupt',
      `${config.dataDir}: the backend's applied index ${applied.index} is below the WAL's snapshot index ${walState.snapshot?.index ?? 0}; the entries between are no longer in the WAL to re-apply (remove the member's data and rejoin)`,
    );
  }
  let forced: ForcedNewCluster | undefined;
  if (config.forceNewCluster && !fresh) ({ state: walState, forced } = await forceNewCluster(wal, walState, selfId, applied.index));

  // A joiner that has not received its first snapshot yet starts from index 0 with no snapshot.
  const joining = walState.snapshot === undefined && applied.index === 0;
  const snapshot = walState.snapshot ?? (joining ? { index: 0, term: 0, confState: applied.confState } : undefined);
  if (snapshot === undefined) throw new KvError('StorageCorrupt', `${config.dataDir}: the WAL has no snapshot record`);
  const storage = new MemoryStorage();
  if (!joining) storage.applySnapshot({ metadata: snapshot, data: new Uint8Array(0) });
  storage.append(walState.entries);
  storage.setHardState(walState.hardState);
  return { selfId, cluster, storage, snapshot, backendApplied: applied, fresh, ...(forced !== undefined ? { forced } : {}) };
}
