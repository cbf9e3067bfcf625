/**
 * One raft node's state machine (etcd-io/raft `raft.go`): `step()` does the term checks once
 * and hands the message to the handler of the current role; `tick()` drives elections and
 * heartbeats. Pure and synchronous: output goes to `msgs` and `readStates`, read by RawNode.
 */
import { KvError } from '../util/errors.js';
import { assertNever } from '../util/assert.js';
import type { Message, MessageOf } from './messages.js';
import { RaftLeader } from './leader.js';
import { NONE, type NodeId } from './types.js';

export type CampaignType = 'preElection' | 'election' | 'transfer';

export class Raft extends RaftLeader {
  tick(): void {
    if (this.state === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step({ type: 'MsgHup', from: this.id, to: this.id, term: 0 });
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.step({ type: 'MsgCheckQuorum', from: this.id, to: this.id, term: 0 });
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.state === 'leader' && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.state !== 'leader') return;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.step({ type: 'MsgBeat', from: this.id, to: this.id, term: 0 });
    }
  }

  /**
   * Entry point for every message. Throws KvError('ProposalDropped') for a proposal that
   * cannot be accepted.
   */
  step(m: Message): void {
    if (m.term === 0) {
      // Local message (or a forwarded proposal / read index).
    } else if (m.term > this.term) {
      if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
        // §4.2.3 / CheckQuorum lease: while we hear from a live leader, ignore vote requests
        // (unless the leader itself asked for this election through a transfer).
        const inLease = this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.cfg.electionTick;
        if (!m.transfer && inLease) return;
      }
      if (m.type === 'MsgPreVote') {
        // Never change our term in response to a PreVote.
      } else if (m.type === 'MsgPreVoteResp' && !m.reject) {
        // Granted pre-votes carry the term we will campaign in; the term moves on winning.
      } else if (m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      this.stepStale(m);
      return;
    }

    switch (m.type) {
      case 'MsgHup':
        this.hup(this.cfg.preVote ? 'preElection' : 'election');
        return;
      case 'MsgVote':
      case 'MsgPreVote':
        this.handleVote(m);
        return;
      default:
        break;
    }
    switch (this.state) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
      default:
        assertNever(this.state, 'raft state');
    }
  }

  /** A message from an older term: never acted upon (pitfall 4), sometimes answered. */
  private stepStale(m: Message): void {
    if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'MsgHeartbeat' || m.type === 'MsgApp')) {
      // A leader of an older term may be stuck behind us; our higher term in the response
      // makes it step down (with CheckQuorum we may never grant it a vote that would).
      this.send({ type: 'MsgAppResp', to: m.from, index: 0, reject: false, rejectHint: 0, logTerm: 0 });
    } else if (m.type === 'MsgPreVote') {
      // Answer with our term so a laggard learns it and can rejoin (etcd #8243).
      this.send({ type: 'MsgPreVoteResp', to: m.from, term: this.term, reject: true });
    }
  }

  private handleVote(m: MessageOf<'MsgVote' | 'MsgPreVote'>): void {
    const respType = m.type === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
    // A repeat of our vote, or no vote yet and no known leader, or a pre-vote for a later term...
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === 'MsgPreVote' && m.term > this.term);
    // ...and the candidate's log is at least as up-to-date as ours (§5.4.1).
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      this.send({ type: respType, to: m.from, term: m.term, reject: false });
      if (m.type === 'MsgVote') {
        // Only real votes are recorded (and persisted before the response goes out).
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, term: this.term, reject: true });
    }
  }

  hup(t: CampaignType): void {
    if (this.state === 'leader') return;
    if (!this.promotable()) return;
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(t);
  }

  campaign(t: CampaignType): void {
    if (!this.promotable()) return;
    let term: number;
    let voteType: 'MsgPreVote' | 'MsgVote';
    if (t === 'preElection') {
      this.becomePreCandidate();
      voteType = 'MsgPreVote';
      // Pre-votes ask for the next term without moving to it.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteType = 'MsgVote';
      term = this.term;
    }
    // Our own vote counts at once; it reaches storage in this Ready before any message leaves.
    if (this.poll(this.id, true) === 'won') {
      // A single-voter cluster.
      if (t === 'preElection') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const last = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const id of this.trk.voterIds()) {
      if (id === this.id) continue;
      this.send({ type: voteType, to: id, term, index: last, logTerm: lastTerm, transfer: t === 'transfer' });
    }
  }

  private poll(id: NodeId, granted: boolean): 'pending' | 'lost' | 'won' {
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes().result;
  }

  private stepCandidate(m: Message): void {
    const myVoteResp = this.state === 'preCandidate' ? 'MsgPreVoteResp' : 'MsgVoteResp';
    switch (m.type) {
      case 'MsgProp':
        throw new KvError('ProposalDropped');
      case 'MsgApp':
        // A leader of our term exists.
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case 'MsgVoteResp':
      case 'MsgPreVoteResp': {
        if (m.type !== myVoteResp) return;
        const res = this.poll(m.from, !m.reject);
        if (res === 'won') {
          if (this.state === 'preCandidate') {
            this.campaign('election');
          } else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (res === 'lost') {
          // A pre-vote response carries our future term: stay in ours.
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
      default:
        return; // MsgTimeoutNow and the rest are ignored while campaigning
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'MsgProp':
        if (this.lead === NONE || this.cfg.disableProposalForwarding) throw new KvError('ProposalDropped');
        this.send({ type: 'MsgProp', to: this.lead, entries: m.entries });
        return;
      case 'MsgApp':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'MsgTransferLeader':
        if (this.lead === NONE) return;
        this.msgs.push({ ...m, to: this.lead, term: this.term });
        return;
      case 'MsgForgetLeader':
        // With lease reads the old leader may still serve reads: keep honouring its lease.
        if (this.readOnly.option === 'leaseBased') return;
        this.lead = NONE;
        return;
      case 'MsgTimeoutNow':
        // The leader asked us to take over: campaign at once, without pre-vote.
        this.hup('transfer');
        return;
      case 'MsgReadIndex':
        if (this.lead === NONE) return; // dropped; the caller times out
        this.send({ type: 'MsgReadIndex', to: this.lead, context: m.context });
        return;
      case 'MsgReadIndexResp':
        this.readStates.push({ index: m.index, requestCtx: m.context });
        return;
      default:
        return;
    }
  }

  /** The application applied entries up to `index`; proposes leaving an auto-leave joint config. */
  appliedTo(index: number): void {
    const newApplied = Math.max(index, this.log.applied);
    this.log.appliedTo(newApplied);
    if (this.trk.config.autoLeave && newApplied >= this.pendingConfIndex && this.state === 'leader') {
      // Empty data decodes as the empty ConfChangeV2 (leave joint); its size is 0, so only a
      // leader transfer can drop it — then the next applied entry retries.
      const leave = { term: 0, index: 0, type: 'confChangeV2' as const, data: new Uint8Array(0) };
      try {
        this.step({ type: 'MsgProp', from: this.id, to: this.id, term: 0, entries: [leave] });
      } catch (err) {
        if (!(err instanceof KvError && err.code === 'ProposalDropped')) throw err;
      }
    }
  }

  /** Self-ack for entries that reached stable storage (the leader's vote in the commit count). */
  entriesPersisted(index: number, term: number): void {
    this.log.stableTo(index, term);
    if (this.state !== 'leader' || !this.log.matchTerm(index, term)) return;
    this.step({ type: 'MsgAppResp', from: this.id, to: this.id, term: this.term, index, reject: false, rejectHint: 0, logTerm: 0 });
  }
}

