/**
 * Log replication (Raft §5.3, etcd-io/raft `raft.go`): the leader's MsgApp/MsgSnap/heartbeat
 * sending with flow control, and the follower's handling of MsgApp, MsgHeartbeat and MsgSnap.
 */
import { isKvError } from '../util/errors.js';
import { restoreConfig } from './confchange.js';
import { entriesSize } from './entries.js';
import { isCompacted } from './log.js';
import type { MessageOf } from './messages.js';
import type { Progress } from './progress.js';
import { RaftCore } from './raft-core.js';
import { ProgressTracker } from './tracker.js';
import { isEmptySnapshot, type Entry, type NodeId, type Snapshot } from './types.js';

const EMPTY = new Uint8Array(0);

export abstract class RaftReplication extends RaftCore {
  /** Commit by counting: the quorum's durable index, if it holds an entry of this term (Figure 8). */
  protected maybeCommit(): boolean {
    return this.log.maybeCommit(this.trk.committed(), this.term);
  }

  /**
   * Sends the next MsgApp to `to` if its progress allows: entries from `next` up to
   * maxSizePerMsg bytes, or an empty one (commit index / probe) when `sendIfEmpty`. Falls back
   * to a snapshot when the entries it needs were compacted. Returns whether anything was sent.
   */
  protected maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined) return this.maybeSendSnapshot(to, pr);
    let ents: Entry[] = [];
    // With a full window only an empty MsgApp goes out: its answer frees the window even if
    // every inflight message was lost.
    if (pr.state !== 'replicate' || !pr.inflights.full()) {
      try {
        ents = this.log.entries(pr.next, this.cfg.maxSizePerMsg);
      } catch (err) {
        if (isCompacted(err)) return this.maybeSendSnapshot(to, pr);
        throw err;
      }
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send({ type: 'MsgApp', to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.log.committed });
    pr.sentEntries(ents.length, entriesSize(ents));
    pr.sentCommit = this.log.committed;
    return true;
  }

  protected sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    // Only to a follower we heard from recently: a snapshot is expensive.
    if (!pr.recentActive) return false;
    let snapshot: Snapshot;
    try {
      snapshot = this.log.snapshot();
    } catch (err) {
      if (isKvError(err, 'Unavailable_Log')) return false; // temporarily unavailable
      throw err;
    }
    if (isEmptySnapshot(snapshot)) return false;
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send({ type: 'MsgSnap', to, snapshot });
    return true;
  }

  protected bcastAppend(): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendAppend(id);
    });
  }

  /**
   * Heartbeats carry min(commit, follower's match): a follower must never be told to commit
   * past what it is known to hold (it may lack those entries).
   */
  protected sendHeartbeat(to: NodeId, context: Uint8Array): void {
    const pr = this.trk.progress.get(to);
    const commit = Math.min(pr?.match ?? 0, this.log.committed);
    this.send({ type: 'MsgHeartbeat', to, commit, context });
  }

  protected bcastHeartbeat(context: Uint8Array = EMPTY): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendHeartbeat(id, context);
    });
  }

  protected sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'MsgTimeoutNow', to });
  }

  protected handleAppendEntries(m: MessageOf<'MsgApp'>): void {
    if (m.index < this.log.committed) {
      // Everything up to our commit index is settled; tell the leader where we are.
      this.send({ type: 'MsgAppResp', to: m.from, index: this.log.committed, reject: false, rejectHint: 0, logTerm: 0 });
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries, (from) => this.forgetAcksFrom(from));
    if (lastNew !== undefined) {
      // Ack exactly what this message verified, never our whole log (pitfall 6).
      this.send({ type: 'MsgAppResp', to: m.from, index: lastNew, reject: false, rejectHint: 0, logTerm: 0 });
      return;
    }
    // Mismatch at m.index: hint the largest (index, term) with term ≤ m.logTerm so the leader
    // can skip a whole divergent term at a time.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send({ type: 'MsgAppResp', to: m.from, index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term });
  }

  /**
   * Drops the acks still queued in this Ready for entries from `from` on, which this step is
   * about to replace. Several messages can be stepped before one Ready: an ack queued for a
   * term-T leader's entries would otherwise go out after a term-T+1 leader's append truncated
   * them, and the term-T leader could count a copy that no longer exists toward committing it.
   * (etcd-io/raft ties storage acks to the leader's term for the same reason.) Acks already
   * handed out in an earlier Ready were sent for a state that was durable when they left.
   */
  private forgetAcksFrom(from: number): void {
    this.msgs = this.msgs.filter((q) => q.type !== 'MsgAppResp' || q.reject || q.index < from);
  }

  protected handleHeartbeat(m: MessageOf<'MsgHeartbeat'>): void {
    this.log.commitTo(m.commit);
    this.send({ type: 'MsgHeartbeatResp', to: m.from, context: m.context });
  }

  protected handleSnapshot(m: MessageOf<'MsgSnap'>): void {
    if (this.restore(m.snapshot)) {
      this.send({ type: 'MsgAppResp', to: m.from, index: this.log.lastIndex(), reject: false, rejectHint: 0, logTerm: 0 });
    } else {
      this.send({ type: 'MsgAppResp', to: m.from, index: this.log.committed, reject: false, rejectHint: 0, logTerm: 0 });
    }
  }

  /**
   * Installs a snapshot from the leader. If our log already holds its last entry we only
   * fast-forward the commit index (keeping the matching suffix); otherwise the log is replaced
   * and the membership comes from the snapshot's metadata, not from our log.
   */
  protected restore(s: Snapshot): boolean {
    const { index, term, confState } = s.metadata;
    if (index <= this.log.committed) return false;
    if (this.state !== 'follower') {
      // Defense in depth (etcd): a non-follower never restores.
      this.becomeFollower(this.term + 1, 0);
      return false;
    }
    const inConfig = [confState.voters, confState.learners, confState.votersOutgoing].some((ids) => ids.includes(this.id));
    if (!inConfig) return false;
    if (this.log.matchTerm(index, term)) {
      this.log.commitTo(index);
      return false;
    }
    // Everything above our commit index may differ from the snapshot's history.
    this.forgetAcksFrom(this.log.committed + 1);
    this.log.restore(s);
    const fresh = new ProgressTracker(this.trk.maxInflight, this.trk.maxInflightBytes);
    this.switchToConfig(restoreConfig(fresh, this.log.lastIndex(), confState));
    return true;
  }
}
