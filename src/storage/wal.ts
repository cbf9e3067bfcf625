/**
 * The raft write-ahead log: what a member must have on disk before it answers anything that
 * depends on it (Raft §5.1, Fig. 2 "persistent state"). The member keeps raft's MemoryStorage as
 * the core's Storage (as etcd's server does) and uses the WAL only for durability: `load()` on
 * start rebuilds MemoryStorage, then every Ready is persisted with `save()`.
 *
 * Implementations: `LevelWal` (one LevelDB per member, shared with the backend) and `MemoryWal`
 * (the simulator's, which can lose unsynced writes); both pass test/storage/wal-conformance.
 */
import type { Entry, HardState, SnapshotMetadata } from '../raft/types.js';

export interface WalState {
  /** EMPTY_HARD_STATE on a fresh directory. */
  readonly hardState: HardState;
  /** The latest snapshot's metadata; undefined until the first `saveSnapshot`. */
  readonly snapshot: SnapshotMetadata | undefined;
  /**
   * The log after the snapshot: contiguous, from `firstIndex` to the last stored entry. Entries
   * at or below the snapshot index that are still retained (compact() was called below the
   * snapshot) are verified but not returned: MemoryStorage starts at its snapshot.
   */
  readonly entries: Entry[];
  /** `snapshot.index + 1`, or 1 without a snapshot: where `entries` start. */
  readonly firstIndex: number;
}

export interface SaveOptions {
  /**
   * fsync before resolving. Must be true when raft's MustSync says so (entries present, or
   * term or vote changed): `save` asserts it. A commit-only change may go unsynced (etcd).
   */
  readonly sync: boolean;
}

export interface Wal {
  /** Verifies everything stored (CRCs, contiguity, invariants) and returns it; a violation is KvError('StorageCorrupt'). Call once, first. */
  load(): Promise<WalState>;
  /**
   * One atomic batch: the entries (a conflicting stored suffix is deleted in the same batch) and
   * the hard state. `entries` must be contiguous and start at most one past the last stored index,
   * above the durable commit index.
   */
  save(hardState: HardState | undefined, entries: readonly Entry[], options: SaveOptions): Promise<void>;
  /**
   * Records a snapshot, synced. When the log holds the snapshot's entry with the snapshot's term
   * (a snapshot of our own log) the entries stay; otherwise (a snapshot received from the leader
   * replaces the log, Raft §7) every entry is discarded in the same batch. `hardState` (the
   * Ready's, if any) goes in the same batch; the stored commit index is raised to the snapshot
   * index and the term to the snapshot's term if below (see kv-wal.ts `snapshotHardState`).
   */
  saveSnapshot(meta: SnapshotMetadata, hardState?: HardState): Promise<void>;
  /**
   * Discards entries up to `throughIndex` (≤ the snapshot index): moves the first index (synced),
   * then deletes the old prefix in bounded chunks and compacts the range beside the save queue
   * (re-run on open if interrupted). Resolves once the first index has moved.
   */
  compact(throughIndex: number): Promise<void>;
  /** Resolves when the prefix deletion `compact` started is done (close() waits for it too). */
  trimmed(): Promise<void>;
  close(): Promise<void>;
}
