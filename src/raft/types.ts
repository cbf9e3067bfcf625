/**
 * The raft core's data types (etcd-io/raft `raftpb`). Node IDs, terms and indexes are safe
 * integers (< 2^53); node ID 0 means "none".
 */
export type NodeId = number;
export const NONE: NodeId = 0;

export type EntryType = 'normal' | 'confChange' | 'confChangeV2';

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** Opaque to raft for normal entries; an encoded conf change for the other types. */
  readonly data: Uint8Array;
}

/** What must be durable before a node answers anything that depends on it (Raft §5.1, Fig. 2). */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: NONE, commit: 0 });

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === NONE && hs.commit === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** The membership of the cluster; joint when `votersOutgoing` is non-empty (Raft thesis §4.3). */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly votersOutgoing: readonly NodeId[];
  readonly learnersNext: readonly NodeId[];
  readonly autoLeave: boolean;
}

export const EMPTY_CONF_STATE: ConfState = Object.freeze({
  voters: [],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
});

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** The application's state at `metadata.index`, opaque to raft. */
  readonly data: Uint8Array;
}

export function isEmptySnapshot(snap: Snapshot | undefined): boolean {
  return snap === undefined || snap.metadata.index === 0;
}

export type ConfChangeType = 'addNode' | 'removeNode' | 'updateNode' | 'addLearnerNode';

export interface ConfChangeSingle {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

/**
 * etcd's ConfChangeV2 transitions: `auto` leaves the joint configuration automatically (or uses
 * no joint state for a single simple change), `implicit` always auto-leaves, `explicit` waits
 * for an empty ConfChangeV2 from the application.
 */
export type ConfChangeTransition = 'auto' | 'implicit' | 'explicit';

export interface ConfChangeV2 {
  readonly transition: ConfChangeTransition;
  readonly changes: readonly ConfChangeSingle[];
  /** Opaque to raft (cairn puts the member record here). */
  readonly context: Uint8Array;
}

export type StateType = 'follower' | 'candidate' | 'leader' | 'preCandidate';

export interface SoftState {
  readonly lead: NodeId;
  readonly raftState: StateType;
}

/** A linearizable read that may be served once the application has applied `index`. */
export interface ReadState {
  readonly index: number;
  readonly requestCtx: Uint8Array;
}
