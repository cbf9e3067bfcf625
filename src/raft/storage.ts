/**
 * The log storage interface the core reads from, and an in-memory implementation
 * (etcd-io/raft `storage.go`). The application appends to its Storage what each Ready hands
 * it; the core only reads. Index 0's slot holds the snapshot's (index, term): entries
 * start at `firstIndex() = snapshot index + 1`.
 */
import { assert } from '../util/assert.js';
import { KvError } from '../util/errors.js';
import { limitSize } from './entries.js';
import {
  EMPTY_CONF_STATE,
  EMPTY_HARD_STATE,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
} from './types.js';

export interface Storage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), at most `maxSize` bytes but at least one; throws Compacted_Log / Unavailable_Log. */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  /** Term of entry `index`, valid for [firstIndex()-1, lastIndex()]; same errors. */
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /** The most recent snapshot; an empty one (index 0) or Unavailable_Log means "not yet". */
  snapshot(): Snapshot;
}

const EMPTY_DATA = new Uint8Array(0);

export interface MemoryStorageOptions {
  /** Initial membership (etcd tests' `withPeers`): how a brand-new cluster is bootstrapped. */
  confState?: ConfState;
}

export class MemoryStorage implements Storage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot;
  /** ents[0] is a dummy carrying the snapshot's index and term. */
  private ents: Entry[];

  constructor(options: MemoryStorageOptions = {}) {
    this.snap = {
      metadata: { index: 0, term: 0, confState: options.confState ?? EMPTY_CONF_STATE },
      data: EMPTY_DATA,
    };
    this.ents = [{ index: 0, term: 0, type: 'normal', data: EMPTY_DATA }];
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  private get offset(): number {
    return (this.ents[0] as Entry).index;
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    const offset = this.offset;
    if (lo <= offset) throw new KvError('Compacted_Log');
    if (hi > this.lastIndex() + 1) {
      throw new KvError('Unavailable_Log', `entries' hi(${hi}) is out of bound lastindex(${this.lastIndex()})`);
    }
    if (this.ents.length === 1) throw new KvError('Unavailable_Log'); // only the dummy entry
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSize);
  }

  term(index: number): number {
    const offset = this.offset;
    if (index < offset) throw new KvError('Compacted_Log');
    if (index - offset >= this.ents.length) throw new KvError('Unavailable_Log');
    return (this.ents[index - offset] as Entry).term;
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.ents.length - 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log with a snapshot (a follower installing the leader's state). */
  applySnapshot(snap: Snapshot): void {
    if (this.snap.metadata.index >= snap.metadata.index) {
      throw new KvError('Compacted_Log', 'requested index is older than the existing snapshot');
    }
    this.snap = snap;
    this.ents = [{ index: snap.metadata.index, term: snap.metadata.term, type: 'normal', data: EMPTY_DATA }];
  }

  /** Records a snapshot of the application's state at `index` (which must be applied). */
  createSnapshot(index: number, confState: ConfState | undefined, data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) {
      throw new KvError('Compacted_Log', 'requested index is older than the existing snapshot');
    }
    if (index > this.lastIndex()) {
      throw new KvError('Unavailable_Log', `snapshot ${index} is out of bound lastindex(${this.lastIndex()})`);
    }
    const term = (this.ents[index - this.offset] as Entry).term;
    this.snap = {
      metadata: { index, term, confState: confState ?? this.snap.metadata.confState },
      data,
    };
    return this.snap;
  }

  /** Discards entries up to and including `compactIndex` (which must be applied). */
  compact(compactIndex: number): void {
    const offset = this.offset;
    if (compactIndex <= offset) throw new KvError('Compacted_Log');
    if (compactIndex > this.lastIndex()) {
      throw new KvError('Unavailable_Log', `compact ${compactIndex} is out of bound lastindex(${this.lastIndex()})`);
    }
    const i = compactIndex - offset;
    const kept = this.ents[i] as Entry;
    this.ents = [{ index: kept.index, term: kept.term, type: 'normal', data: EMPTY_DATA }, ...this.ents.slice(i + 1)];
  }

  /** Appends entries, replacing any existing suffix from the first new index on. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const firstNew = (entries[0] as Entry).index;
    const lastNew = firstNew + entries.length - 1;
    if (lastNew < first) return; // all already compacted
    // Drop the part that is already compacted.
    const ents = first > firstNew ? entries.slice(first - firstNew) : entries;
    const start = (ents[0] as Entry).index;
    assert(start <= this.lastIndex() + 1, () => `missing log entry [last: ${this.lastIndex()}, append at: ${start}]`);
    // In place: copying the whole log on every append made each Ready cost O(log length), so
    // throughput fell as the log grew between snapshots. Callers only ever receive slices.
    const keep = start - this.offset;
    if (keep < this.ents.length) this.ents.length = keep;
    for (const entry of ents) this.ents.push(entry);
  }
}
