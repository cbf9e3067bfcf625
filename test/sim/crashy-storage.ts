/**
 * Raft storage that only keeps what was persisted. The node reads a live MemoryStorage holding
 * every write (synced or not, as an OS page cache would serve it); a shadow durable copy of
 * (hard state, snapshot, entries) advances only on synced writes. `crash()` drops a random
 * suffix of the unsynced writes and rebuilds a fresh MemoryStorage from what survived — the
 * state a restarted process would recover (raft-pitfalls.md items 2 and 7).
 */
import { encodeConfChange, MemoryStorage } from '../../src/raft/index.js';
import type { ConfState, Entry, HardState, Snapshot } from '../../src/raft/types.js';
import { EMPTY_HARD_STATE } from '../../src/raft/types.js';
import { assert } from '../../src/util/assert.js';
import type { Rng } from '../../src/util/rng.js';
import { CrashyWrites } from './crashy-writes.js';

export interface DurableRaftState {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | undefined;
  /** Contiguous, starting right after the snapshot's index (or at 1 without a snapshot). */
  readonly entries: readonly Entry[];
}

export type RaftWrite =
  | { readonly kind: 'hardState'; readonly hardState: HardState }
  | { readonly kind: 'entries'; readonly entries: readonly Entry[] }
  /** `keepLog`: the application's own snapshot keeps the log after it; an installed one discards it. */
  | { readonly kind: 'snapshot'; readonly snapshot: Snapshot; readonly keepLog: boolean }
  | { readonly kind: 'compact'; readonly index: number };

/** A fresh, empty durable state (a blank node); each call returns a new object it may mutate. */
export function emptyDurableState(): DurableRaftState {
  return { hardState: EMPTY_HARD_STATE, snapshot: undefined, entries: [] };
}

function firstIndexOf(s: DurableRaftState): number {
  return (s.snapshot?.metadata.index ?? 0) + 1;
}

/** etcd MemoryStorage semantics on the durable copy: append truncates a conflicting suffix. */
export function applyRaftWrite(s: DurableRaftState, w: RaftWrite): DurableRaftState {
  switch (w.kind) {
    case 'hardState':
      return { ...s, hardState: w.hardState };
    case 'entries': {
      const first = firstIndexOf(s);
      const fresh = w.entries.filter((e) => e.index >= first);
      const head = fresh[0];
      if (head === undefined) return s;
      const keep = head.index - first;
      assert(keep <= s.entries.length, () => `durable log gap: have ${first}..${first + s.entries.length - 1}, append at ${head.index}`);
      // The durable state is owned by its CrashyWrites: extend in place (appends are the hot path).
      const entries = s.entries as Entry[];
      entries.length = keep;
      for (const e of fresh) entries.push(e);
      return s;
    }
    case 'snapshot': {
      const idx = w.snapshot.metadata.index;
      const first = firstIndexOf(s);
      // MemoryStorage.applySnapshot discards the whole log; createSnapshot keeps what follows.
      const entries = w.keepLog ? s.entries.slice(Math.max(0, idx - first + 1)) : [];
      return { ...s, snapshot: w.snapshot, entries };
    }
    case 'compact': {
      // Compaction only drops a prefix already covered by a durable snapshot; losing it is harmless.
      const first = firstIndexOf(s);
      const snapIdx = s.snapshot?.metadata.index ?? 0;
      const upTo = Math.min(w.index, snapIdx);
      return upTo < first ? s : { ...s, entries: s.entries.slice(upTo - first + 1) };
    }
  }
}

/** Builds the MemoryStorage a restarted node reads from a durable state. */
export function memoryStorageFrom(s: DurableRaftState): MemoryStorage {
  const ms = new MemoryStorage();
  if (s.snapshot !== undefined) ms.applySnapshot(s.snapshot);
  if (s.entries.length > 0) ms.append(s.entries);
  ms.setHardState(s.hardState);
  return ms;
}

/**
 * A bootstrap state like etcd-io/raft's `Bootstrap`: one committed term-1 entry per initial
 * member (simple conf changes, voters then learners), no snapshot. Every node starts from the
 * same log, so a node added later can be caught up by entries from index 1 while they last.
 */
export function bootstrapState(voters: readonly number[], learners: readonly number[] = []): DurableRaftState {
  const changes = [
    ...voters.map((nodeId) => ({ type: 'addNode' as const, nodeId })),
    ...learners.map((nodeId) => ({ type: 'addLearnerNode' as const, nodeId })),
  ];
  const entries: Entry[] = changes.map((c, i) => ({
    term: 1,
    index: i + 1,
    type: 'confChangeV2',
    data: encodeConfChange({ transition: 'auto', changes: [c], context: new Uint8Array(0) }),
  }));
  return { hardState: { term: 1, vote: 0, commit: entries.length }, snapshot: undefined, entries };
}

export class CrashyRaftStorage {
  private writes: CrashyWrites<DurableRaftState, RaftWrite>;
  /** The storage the live node reads; replaced on every crash. */
  memory: MemoryStorage;

  constructor(initial: DurableRaftState = emptyDurableState()) {
    // A private copy: the durable log is extended in place, and bootstrap states are shared.
    const own = { ...initial, entries: [...initial.entries] };
    this.writes = new CrashyWrites<DurableRaftState, RaftWrite>(own, applyRaftWrite);
    this.memory = memoryStorageFrom(initial);
  }

  get stats() {
    return this.writes.stats;
  }

  /**
   * Persists one Ready's state in raftexample's order (snapshot, entries, hard state); `sync`
   * is the Ready's mustSync.
   */
  saveReady(hardState: HardState | undefined, entries: readonly Entry[], snapshot: Snapshot | undefined, sync: boolean): void {
    const ops: RaftWrite[] = [];
    if (snapshot !== undefined && snapshot.metadata.index > 0) {
      this.memory.applySnapshot(snapshot);
      ops.push({ kind: 'snapshot', snapshot, keepLog: false });
    }
    if (entries.length > 0) {
      this.memory.append(entries);
      ops.push({ kind: 'entries', entries: [...entries] });
    }
    if (hardState !== undefined) {
      this.memory.setHardState(hardState);
      ops.push({ kind: 'hardState', hardState });
    }
    ops.forEach((op, i) => this.writes.write(op, sync && i === ops.length - 1));
  }

  /** The application's own snapshot: written synced (etcd's SaveSnapshot fsyncs), then compaction. */
  saveAppSnapshot(index: number, confState: ConfState, data: Uint8Array, compactTo: number): Snapshot {
    const snap = this.memory.createSnapshot(index, confState, data);
    this.writes.write({ kind: 'snapshot', snapshot: snap, keepLog: true }, true);
    if (compactTo > this.memory.firstIndex() - 1) {
      this.memory.compact(compactTo);
      this.writes.write({ kind: 'compact', index: compactTo }, false);
    }
    return snap;
  }

  /** Loses a random suffix of unsynced writes; the node must be rebuilt from `memory` after. */
  crash(rng: Rng): DurableRaftState {
    const survived = this.writes.crash(rng);
    this.memory = memoryStorageFrom(survived);
    return survived;
  }

  durable(): DurableRaftState {
    return this.writes.durable();
  }

  get pendingWrites(): number {
    return this.writes.pendingCount;
  }
}
