/**
 * The leader's message handling (etcd-io/raft `stepLeader`): proposals, replication
 * responses and flow control, heartbeats, CheckQuorum, ReadIndex, snapshots status and
 * leader transfer.
 */
import { KvError } from '../util/errors.js';
import { decodeConfChange } from './confchange-codec.js';
import { isLeaveJoint } from './confchange.js';
import type { Message, MessageOf } from './messages.js';
import type { ReadRequest } from './read-only.js';
import { RaftReplication } from './replication.js';
import { isJoint } from './tracker.js';
import { NONE, type Entry } from './types.js';

export abstract class RaftLeader extends RaftReplication {
  /** Context of the newest read waiting for its heartbeat round (sent once per Ready). */
  private readHeartbeatDue: Uint8Array | undefined;

  protected stepLeader(m: Message): void {
    switch (m.type) {
      case 'MsgBeat':
        // Carry the newest pending read's context so lost read rounds are retried (etcd-io/raft).
        this.bcastHeartbeat(this.readOnly.lastPendingContext());
        return;
      case 'MsgCheckQuorum':
        if (!this.trk.quorumActive()) this.becomeFollower(this.term, NONE);
        this.trk.visit((id, pr) => {
          if (id !== this.id) pr.recentActive = false;
        });
        return;
      case 'MsgProp':
        this.propose(m);
        return;
      case 'MsgReadIndex': {
        const req: ReadRequest = { from: m.from, context: m.context };
        if (!this.committedEntryInCurrentTerm()) {
          // The commit index is not known to be current until our no-op commits (§6.4). This
          // holds for a single voter too: after a power loss its unsynced commit index can lag
          // behind a write it already acknowledged; its no-op commits past that write.
          this.pendingReadIndex.push(req);
        } else {
          this.startRead(req);
        }
        return;
      }
      case 'MsgForgetLeader':
        return;
      default:
        break;
    }
    const pr = this.trk.progress.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case 'MsgAppResp':
        this.handleAppResp(m);
        return;
      case 'MsgHeartbeatResp': {
        pr.recentActive = true;
        // Resume a paused follower; with a full window this sends an empty MsgApp whose answer
        // frees it even if all inflight messages were lost.
        pr.msgAppFlowPaused = false;
        if (pr.match < this.log.lastIndex() || pr.state === 'probe') this.sendAppend(m.from);
        if (this.readOnly.option !== 'safe' || m.context.byteLength === 0) return;
        const acks = this.readOnly.recvAck(m.from, m.context);
        if (this.trk.quorumOf(acks) !== 'won') return;
        for (const rs of this.readOnly.advance(m.context)) this.answerRead(rs.req, rs.index);
        return;
      }
      case 'MsgSnapStatus':
        if (pr.state !== 'snapshot') return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // Wait for a heartbeat response before probing again.
        pr.msgAppFlowPaused = true;
        return;
      case 'MsgUnreachable':
        // In optimistic replication an unreachable follower has probably lost a MsgApp.
        if (pr.state === 'replicate') pr.becomeProbe();
        return;
      case 'MsgTransferLeader': {
        if (pr.isLearner) return;
        const transferee = m.from;
        if (this.leadTransferee !== NONE) {
          if (this.leadTransferee === transferee) return;
          this.abortLeaderTransfer();
        }
        if (transferee === this.id) return;
        // The transfer must finish within an election timeout (tickHeartbeat aborts it).
        this.electionElapsed = 0;
        this.leadTransferee = transferee;
        if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(transferee);
        else this.sendAppend(transferee);
        return;
      }
      default:
        return;
    }
  }

  private propose(m: MessageOf<'MsgProp'>): void {
    if (m.entries.length === 0) throw new KvError('InvalidArgument', 'raft: stepped empty MsgProp');
    // A leader removed from the configuration, or handing over leadership, takes no proposals.
    if (!this.trk.progress.has(this.id) || this.leadTransferee !== NONE) throw new KvError('ProposalDropped');
    const entries: Entry[] = m.entries.map((e, i) => {
      if (e.type === 'normal') return e;
      const refusal = this.confChangeRefusal(e);
      if (refusal === undefined) {
        this.pendingConfIndex = this.log.lastIndex() + i + 1;
        return e;
      }
      // A lone refused change fails loudly; in a batch it becomes a no-op entry (etcd).
      if (m.entries.length === 1) throw new KvError('ProposalDropped', `raft proposal dropped: ${refusal}`);
      return { ...e, type: 'normal', data: new Uint8Array(0) };
    });
    if (!this.appendEntry(entries)) throw new KvError('ProposalDropped');
    this.bcastAppend();
  }

  /** Why a conf change may not be appended now, or undefined if it may (thesis §4.1, pitfall 12). */
  private confChangeRefusal(e: Entry): string | undefined {
    if (e.type === 'confChange') return 'only confChangeV2 entries are supported';
    let cc;
    try {
      cc = decodeConfChange(e.data);
    } catch {
      return 'undecodable conf change';
    }
    if (!this.committedEntryInCurrentTerm()) return 'leader has not committed an entry of its term yet';
    if (this.pendingConfIndex > this.log.applied) {
      return `possible unapplied conf change at index ${this.pendingConfIndex} (applied to ${this.log.applied})`;
    }
    const joint = isJoint(this.trk.config);
    const leave = isLeaveJoint(cc);
    if (joint && !leave) return 'must transition out of joint config first';
    if (!joint && leave) return 'not in joint state; refusing empty conf change';
    return undefined;
  }

  private handleAppResp(m: MessageOf<'MsgAppResp'>): void {
    const pr = this.trk.progress.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (m.reject) {
      let nextProbe = m.rejectHint;
      if (m.logTerm > 0) {
        // Skip every entry of ours whose term the follower cannot have (etcd's second
        // findConflictByTerm): the follower's term at the hint bounds where we can match.
        nextProbe = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
      }
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    // A probe answered at exactly our match point also proves the follower is caught up.
    if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe'))) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match + 1 >= this.log.firstIndex()) {
      // The snapshot (or something past it) landed: no probe loop needed (etcd PR #10308).
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      this.releasePendingReads();
      this.bcastAppend();
    } else if (oldPaused && m.from !== this.id && pr.canBumpCommit(this.log.committed)) {
      // It was paused while the commit index moved on: tell it.
      this.sendAppend(m.from);
    }
    if (m.from !== this.id) {
      // The window may allow several messages now (e.g. probe → replicate).
      while (this.maybeSendAppend(m.from, false)) {
        // keep sending
      }
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
  }

  /** Reads queued before the no-op committed go out now (§6.4). */
  protected releasePendingReads(): void {
    if (this.pendingReadIndex.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const reqs = this.pendingReadIndex;
    this.pendingReadIndex = [];
    for (const r of reqs) this.startRead(r);
  }

  private startRead(req: ReadRequest): void {
    // A lone voter's commit index is the quorum's once it holds an entry of this term.
    if (this.readOnly.option === 'leaseBased' || this.trk.isSingleton()) {
      this.answerRead(req, this.log.committed);
      return;
    }
    if (!this.readOnly.addRequest(this.log.committed, req)) {
      // A retried request still pending: its heartbeat round may have been lost, so send one
      // again, as etcd-io/raft does for a duplicate context (a full queue drops it instead).
      if (this.readOnly.isPending(req.context)) this.readHeartbeatDue = req.context;
      return;
    }
    this.readOnly.recvAck(this.id, req.context);
    this.readHeartbeatDue = req.context;
  }

  /** Sends the one heartbeat round that confirms leadership for every read queued so far. */
  flushReadHeartbeats(): void {
    const ctx = this.readHeartbeatDue;
    if (ctx === undefined) return;
    this.readHeartbeatDue = undefined;
    if (this.state !== 'leader') return;
    this.bcastHeartbeat(ctx);
  }

  protected clearReadHeartbeat(): void {
    this.readHeartbeatDue = undefined;
  }

  private answerRead(req: ReadRequest, index: number): void {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index, requestCtx: req.context });
    } else {
      this.send({ type: 'MsgReadIndexResp', to: req.from, index, context: req.context });
    }
  }
}
