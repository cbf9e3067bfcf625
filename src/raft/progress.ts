/**
 * The leader's view of one follower (etcd-io/raft `tracker/progress.go`). `probe`: one MsgApp
 * per heartbeat interval until the match point is found; `replicate`: optimistic pipelining
 * within the inflight window; `snapshot`: waiting for a snapshot to land, nothing else is sent.
 */
import { assert } from '../util/assert.js';
import { Inflights } from './inflights.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  /** Highest index known to be durably replicated on the follower. */
  match = 0;
  /** Next index to send. Invariant: match < next. */
  next: number;
  state: ProgressState = 'probe';
  /** Commit index carried by the last MsgApp sent (etcd sentCommit). */
  sentCommit = 0;
  /** Index of the snapshot being sent, in state `snapshot`. */
  pendingSnapshot = 0;
  /** Heard from since the last CheckQuorum (always true for the leader itself). */
  recentActive = false;
  /** Probe: a message was sent, wait for a response or a heartbeat response. Replicate: window full. */
  msgAppFlowPaused = false;
  isLearner: boolean;

  constructor(
    next: number,
    readonly inflights: Inflights,
    isLearner: boolean,
  ) {
    this.next = next;
    this.isLearner = isLearner;
  }

  /** Shallow copy for configuration changes (the inflight window is copied too). */
  clone(): Progress {
    const p = new Progress(this.next, this.inflights.clone(), this.isLearner);
    p.match = this.match;
    p.state = this.state;
    p.pendingSnapshot = this.pendingSnapshot;
    p.sentCommit = this.sentCommit;
    p.recentActive = this.recentActive;
    p.msgAppFlowPaused = this.msgAppFlowPaused;
    return p;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot the follower has at least the snapshot's entries.
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
    this.next = snapshotIndex + 1;
    this.sentCommit = snapshotIndex;
  }

  /** Records a MsgApp with `entries` entries of `bytes` bytes just sent. */
  sentEntries(entries: number, bytes: number): void {
    switch (this.state) {
      case 'replicate':
        if (entries > 0) {
          this.next += entries;
          this.inflights.add(this.next - 1, bytes);
        }
        this.msgAppFlowPaused = this.inflights.full();
        break;
      case 'probe':
        // One probe at a time: wait for its answer (or a heartbeat response).
        this.msgAppFlowPaused = true;
        break;
      case 'snapshot':
        assert(false, 'sending append in unhandled state snapshot');
    }
  }

  /**
   * Could the follower learn a higher commit index than we last sent it? Only if it holds
   * entries past that commit (commit = min(leaderCommit, last index sent)).
   */
  canBumpCommit(commit: number): boolean {
    return commit > this.sentCommit && this.sentCommit < this.next - 1;
  }

  /** The follower acknowledged everything up to n; false for a stale (already known) ack. */
  maybeUpdate(n: number): boolean {
    if (n <= this.match) return false;
    this.match = n;
    this.next = Math.max(this.next, n + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /**
   * The follower rejected a MsgApp whose prev index was `rejected`, hinting it may match at
   * `matchHint`. Returns false for a stale rejection (an old message, or ours already moved on).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      // Stale unless it rejects something above what we know to match.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      this.sentCommit = Math.min(this.sentCommit, this.next - 1);
      return true;
    }
    // In probe state only the answer to the outstanding probe (next-1) counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
      case 'replicate':
        return this.msgAppFlowPaused;
      case 'snapshot':
        return true;
    }
  }

  describe(): string {
    let s = `StateReplicate`;
    if (this.state === 'probe') s = 'StateProbe';
    if (this.state === 'snapshot') s = 'StateSnapshot';
    s += ` match=${this.match} next=${this.next}`;
    if (this.isLearner) s += ' learner';
    if (this.msgAppFlowPaused) s += ' paused';
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += ' inactive';
    if (this.inflights.count() > 0) s += ` inflight=${this.inflights.count()}`;
    if (this.inflights.full()) s += '[full]';
    return s;
  }
}
