/**
 * The replicated log as the core sees it: durable entries in Storage plus the unstable tail
 * (etcd-io/raft `log.go`). Tracks `committed`, `applying` (handed to the application in a
 * Ready) and `applied`.
 */
import { assert } from '../util/assert.js';
import { isKvError } from '../util/errors.js';
import { limitSize } from './entries.js';
import { Unstable } from './log-unstable.js';
import type { Storage } from './storage.js';
import type { Entry, Snapshot } from './types.js';

export class RaftLog {
  readonly unstable: Unstable;
  committed: number;
  /** Highest index handed to the application for applying (≥ applied). */
  applying: number;
  applied: number;

  constructor(
    readonly storage: Storage,
    /** Byte bound on committed entries handed out per Ready. */
    readonly maxApplyingEntsSize: number,
  ) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    // Everything up to the snapshot is committed and applied by definition.
    this.committed = first - 1;
    this.applying = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, 'unexpected error when getting the last term');
    return t;
  }

  /** Term of entry i, or undefined when it is compacted or beyond the log. */
  term(i: number): number | undefined {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    // The valid range is [firstIndex-1, lastIndex]: the compacted entry's term stays known.
    if (i + 1 < this.firstIndex() || i > this.lastIndex()) return undefined;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (isKvError(err, 'Compacted_Log') || isKvError(err, 'Unavailable_Log')) return undefined;
      throw err;
    }
  }

  matchTerm(i: number, term: number): boolean {
    return this.term(i) === term;
  }

  /**
   * §5.4.1: a candidate's log is at least as up-to-date as ours when its last term is higher,
   * or equal with a last index at least ours (lexicographic on (lastTerm, lastIndex)).
   */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * The follower side of AppendEntries (§5.3): when (index, logTerm) matches, append what is
   * new, truncating only from the first real conflict, and commit up to
   * min(leaderCommit, last index this message verified). Returns that last index, or
   * undefined on a mismatch. `onTruncate(from)` is told before entries from `from` on are
   * replaced.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[], onTruncate?: (from: number) => void): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      assert(ci > this.committed, () => `entry ${ci} conflicts with committed entry [committed(${this.committed})]`);
      if (ci <= this.lastIndex()) onTruncate?.(ci);
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = (ents[0] as Entry).index - 1;
    assert(after >= this.committed, () => `after(${after}) is out of range [committed(${this.committed})]`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * Index of the first entry that is new or conflicts (same index, different term), 0 when all
   * are already present: a duplicated or reordered MsgApp must not truncate anything.
   */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest (index, term) at or below `index` with term ≤ `term` (etcd findConflictByTerm):
   * lets the leader skip a whole divergent term per round trip. Term 0 means unknown.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (; index > 0; index--) {
      const ours = this.term(index);
      if (ours === undefined) return { index, term: 0 };
      if (ours <= term) return { index, term: ours };
    }
    return { index: 0, term: 0 };
  }

  commitTo(toCommit: number): void {
    if (toCommit > this.committed) {
      assert(toCommit <= this.lastIndex(),
        () => `tocommit(${toCommit}) is out of range [lastIndex(${this.lastIndex()})]. Was the raft log corrupted, truncated, or lost?`);
      this.committed = toCommit;
    }
  }

  /** Leader commit (§5.4.2, Figure 8): only an entry of the leader's current term commits by counting. */
  maybeCommit(index: number, term: number): boolean {
    if (term !== 0 && index > this.committed && this.matchTerm(index, term)) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    assert(this.committed >= i && i >= this.applied,
      () => `applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`);
    this.applied = i;
    this.applying = Math.max(this.applying, i);
  }

  /** After the application installed a snapshot: everything up to it counts as applied. */
  appliedSnap(index: number): void {
    this.applied = Math.max(this.applied, index);
    this.applying = Math.max(this.applying, index);
  }

  hasNextUnstableEnts(): boolean {
    return this.unstable.nextEntries().length > 0;
  }

  nextUnstableEnts(): Entry[] {
    return this.unstable.nextEntries();
  }

  hasNextOrInProgressSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  nextUnstableSnapshot(): Snapshot | undefined {
    return this.unstable.nextSnapshot();
  }

  /**
   * Committed entries not yet handed out. None while a snapshot is pending: entries below an
   * installed snapshot must never reach the application.
   */
  nextCommittedEnts(): Entry[] {
    if (this.hasNextOrInProgressSnapshot()) return [];
    const lo = this.applying + 1;
    const hi = this.committed + 1;
    if (lo >= hi) return [];
    return this.slice(lo, hi, this.maxApplyingEntsSize);
  }

  hasNextCommittedEnts(): boolean {
    if (this.hasNextOrInProgressSnapshot()) return false;
    return this.committed > this.applying;
  }

  acceptApplying(i: number): void {
    assert(i <= this.committed, () => `applying(${i}) beyond committed(${this.committed})`);
    this.applying = Math.max(this.applying, i);
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries from i on, at most maxSize bytes; [] when i is past the end. */
  entries(i: number, maxSize: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxSize);
  }

  allEntries(): Entry[] {
    return this.entries(this.firstIndex(), Infinity);
  }

  /**
   * Entries in [lo, hi) from storage and the unstable tail, at most maxSize bytes (but at
   * least one). Throws Compacted_Log when lo is below the first index.
   */
  slice(lo: number, hi: number, maxSize: number): Entry[] {
    this.checkOutOfBounds(lo, hi);
    if (lo === hi) return [];
    let ents: Entry[] = [];
    const uOffset = this.unstable.offset;
    if (lo < uOffset) {
      const stored = this.storage.entries(lo, Math.min(hi, uOffset), maxSize);
      // Storage returned fewer than asked (size limit): done.
      if (stored.length < Math.min(hi, uOffset) - lo) return stored;
      ents = stored;
    }
    if (hi > uOffset) {
      const unstable = this.unstable.slice(Math.max(lo, uOffset), hi);
      ents = ents.length > 0 ? ents.concat(unstable) : unstable;
    }
    return limitSize(ents, maxSize);
  }

  private checkOutOfBounds(lo: number, hi: number): void {
    assert(lo <= hi, () => `invalid slice ${lo} > ${hi}`);
    const first = this.firstIndex();
    if (lo < first) {
      // Callers that can recover (sending a snapshot instead) catch this.
      throw new CompactedError(lo, first);
    }
    assert(hi <= this.lastIndex() + 1, () => `slice[${lo},${hi}) out of bound [${first},${this.lastIndex()}]`);
  }
}

/** Raised by RaftLog.slice when the requested range was compacted away. */
export class CompactedError extends Error {
  override readonly name = 'CompactedError';
  constructor(lo: number, first: number) {
    super(`requested index ${lo} is unavailable due to compaction (first index ${first})`);
  }
}

export function isCompacted(err: unknown): boolean {
  return err instanceof CompactedError || isKvError(err, 'Compacted_Log');
}

