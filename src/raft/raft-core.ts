/**
 * State and role transitions of one raft node (etcd-io/raft `raft.go`, first part). Role
 * changes happen only in becomeFollower/Candidate/PreCandidate/Leader. The message handling
 * layers are in replication.ts, leader.ts and raft.ts (a class chain, so no import cycles).
 */
import { assert } from '../util/assert.js';
import { KvError } from '../util/errors.js';
import { resolveConfig, type RaftConfig, type ResolvedConfig } from './config.js';
import { Changer, enterJoint, isLeaveJoint, restoreConfig, type ConfResult } from './confchange.js';
import { payloadsSize } from './entries.js';
import { RaftLog } from './log.js';
import type { Message } from './messages.js';
import { ReadOnly, type ReadRequest } from './read-only.js';
import { ProgressTracker } from './tracker.js';
import {
  isEmptyHardState,
  NONE,
  type ConfChangeV2,
  type ConfState,
  type Entry,
  type HardState,
  type NodeId,
  type SoftState,
  type StateType,
  type ReadState,
} from './types.js';
import { Inflights } from './inflights.js';
import { Progress } from './progress.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A message as the core builds it: `from` is always this node; `term` is filled in by send(). */
export type Outgoing = DistributiveOmit<Message, 'from' | 'term'> & { term?: number };

export abstract class RaftCore {
  readonly id: NodeId;
  readonly cfg: ResolvedConfig;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  state: StateType = 'follower';
  readonly log: RaftLog;
  readonly trk: ProgressTracker;
  /** Messages to send once this Ready is persisted. */
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  /** Target of an ongoing leader transfer (§3.10 of the thesis), NONE otherwise. */
  leadTransferee: NodeId = NONE;
  /** Index of the latest conf change the leader appended; a new one waits until it is applied. */
  pendingConfIndex = 0;
  /** Payload bytes of the leader's uncommitted tail (bounded by maxUncommittedEntriesSize). */
  uncommittedSize = 0;
  readOnly: ReadOnly;
  /** Reads that arrived before this leader committed an entry of its term (§6.4). */
  pendingReadIndex: ReadRequest[] = [];

  constructor(config: RaftConfig) {
    const cfg = resolveConfig(config);
    this.cfg = cfg;
    this.id = cfg.id;
    this.log = new RaftLog(cfg.storage, cfg.maxCommittedSizePerReady);
    this.readOnly = new ReadOnly(cfg.readOnlyOption);
    const { hardState, confState } = cfg.storage.initialState();
    this.trk = new ProgressTracker(cfg.maxInflightMsgs, cfg.maxInflightBytes);
    this.installConfig(restoreConfig(this.trk, this.log.lastIndex(), confState));
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (cfg.applied > 0) {
      // The application's state must lie between the snapshot it restored and the commit index.
      if (cfg.applied > this.log.committed || cfg.applied < this.log.applied) {
        throw new KvError('InvalidArgument',
          `raft: applied(${cfg.applied}) is out of range [snapshot(${this.log.applied}), committed(${this.log.committed})]`);
      }
      this.log.appliedTo(cfg.applied);
    }
    this.becomeFollower(this.term, NONE);
  }

  private loadState(hs: HardState): void {
    if (hs.commit < this.log.committed || hs.commit > this.log.lastIndex()) {
      throw new KvError('StorageCorrupt',
        `raft: hard state commit ${hs.commit} is out of range [${this.log.committed}, ${this.log.lastIndex()}]`);
    }
    this.log.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  // The three operations the role handlers provide.
  protected abstract maybeCommit(): boolean;
  protected abstract bcastAppend(): void;
  protected abstract maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean;

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { lead: this.lead, raftState: this.state };
  }

  send(m: Outgoing): void {
    let term: number;
    switch (m.type) {
      case 'MsgVote':
      case 'MsgPreVote':
      case 'MsgVoteResp':
      case 'MsgPreVoteResp':
        // Vote messages carry the campaign's term (a pre-vote's is one in the future).
        assert(m.term !== undefined && m.term !== 0, () => `term should be set when sending ${m.type}`);
        term = m.term;
        break;
      case 'MsgProp':
      case 'MsgReadIndex':
        // Forwarded to the leader and handled there as local messages: no term.
        term = 0;
        break;
      default:
        assert(m.term === undefined, () => `term should not be set when sending ${m.type}`);
        term = this.term;
    }
    this.msgs.push({ ...m, from: this.id, term } as Message);
  }

  /** May this node campaign? Only a voter with no snapshot in flight (etcd `promotable`). */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.log.hasNextOrInProgressSnapshot();
  }

  /**
   * Committed but unapplied conf changes mean our tracker is stale: counting votes with it
   * could elect two leaders in one term (etcd-io/raft#456), so we do not campaign.
   */
  hasUnappliedConfChanges(): boolean {
    if (this.log.applied >= this.log.committed) return false;
    let lo = this.log.applied + 1;
    const hi = this.log.committed + 1;
    const pageSize = Math.min(this.log.maxApplyingEntsSize, 1 << 20);
    while (lo < hi) {
      const page = this.log.slice(lo, hi, pageSize);
      for (const e of page) if (e.type !== 'normal') return true;
      lo += page.length;
    }
    return false;
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  /** Highest index of our log known durable (the leader's own vote in the commit count). */
  stableLastIndex(): number {
    const u = this.log.unstable;
    if (u.snapshot) return 0;
    return u.entries.length > 0 ? u.offset - 1 : this.log.lastIndex();
  }

  resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.cfg.electionTick + this.cfg.rng.int(this.cfg.electionTick);
  }

  pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  protected reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const last = this.log.lastIndex();
    this.trk.visit((id, pr) => {
      const fresh = new Progress(last + 1, new Inflights(this.trk.maxInflight, this.trk.maxInflightBytes), pr.isLearner);
      if (id === this.id) fresh.match = this.stableLastIndex();
      this.trk.progress.set(id, fresh);
    });
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly(this.readOnly.option);
    this.pendingReadIndex = [];
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = 'follower';
  }

  becomeCandidate(): void {
    assert(this.state !== 'leader', 'invalid transition [leader -> candidate]');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = 'candidate';
  }

  /**
   * PreVote (thesis §9.6): only the state changes — term and vote stay, so a node that cannot
   * win never disrupts the cluster with a higher term. It forgets the leader (etcd #8334).
   */
  becomePreCandidate(): void {
    assert(this.state !== 'leader', 'invalid transition [leader -> pre-candidate]');
    this.trk.resetVotes();
    this.lead = NONE;
    this.state = 'preCandidate';
  }

  becomeLeader(): void {
    assert(this.state !== 'follower', 'invalid transition [follower -> leader]');
    this.reset(this.term);
    this.lead = this.id;
    this.state = 'leader';
    const pr = this.trk.progress.get(this.id) as Progress;
    pr.becomeReplicate();
    pr.recentActive = true;
    // Conservatively treat the whole tail as possibly holding a conf change.
    this.pendingConfIndex = this.log.lastIndex();
    // The election no-op (§5.4.2, §8): commits the previous terms' entries indirectly and
    // unblocks reads and conf changes. Its payload is empty, so it never hits the size limit.
    const ok = this.appendEntry([{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }]);
    assert(ok, 'empty entry was dropped');
  }

  /** Appends proposals to the leader's log; false when the uncommitted tail is full. */
  protected appendEntry(es: readonly Entry[]): boolean {
    const li = this.log.lastIndex();
    const ents = es.map((e, i): Entry => ({ term: this.term, index: li + 1 + i, type: e.type, data: e.data }));
    if (!this.increaseUncommittedSize(ents)) return false;
    this.log.append(ents);
    // The leader's own ack comes in advance(), once the entries are durable (pitfall 7).
    return true;
  }

  private increaseUncommittedSize(ents: readonly Entry[]): boolean {
    const s = payloadsSize(ents);
    // An empty tail accepts any proposal; empty entries are always accepted.
    if (this.uncommittedSize > 0 && s > 0 && this.uncommittedSize + s > this.cfg.maxUncommittedEntriesSize) {
      return false;
    }
    this.uncommittedSize += s;
    return true;
  }

  reduceUncommittedSize(ents: readonly Entry[]): void {
    if (this.state !== 'leader') return;
    this.uncommittedSize = Math.max(0, this.uncommittedSize - payloadsSize(ents));
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  /** Applies a committed conf change (the application calls this when it applies the entry). */
  applyConfChange(cc: ConfChangeV2): ConfState {
    const changer = new Changer(this.trk, this.log.lastIndex());
    let result: ConfResult;
    if (isLeaveJoint(cc)) result = changer.leaveJoint();
    else {
      const joint = enterJoint(cc);
      result = joint ? changer.enterJoint(joint.autoLeave, cc.changes) : changer.simple(cc.changes);
    }
    return this.switchToConfig(result);
  }

  protected installConfig(r: ConfResult): void {
    this.trk.config = r.config;
    this.trk.progress = r.progress;
  }

  protected switchToConfig(r: ConfResult): ConfState {
    this.installConfig(r);
    const cs = this.trk.confState();
    const pr = this.trk.progress.get(this.id);
    if ((!pr || pr.isLearner) && this.state === 'leader') {
      // A removed (or demoted) leader steps down once the change applies (etcd-io/raft#83).
      if (this.cfg.stepDownOnRemoval) this.becomeFollower(this.term, NONE);
      return cs;
    }
    if (this.state !== 'leader' || cs.voters.length === 0) return cs;
    if (this.maybeCommit()) {
      // A smaller quorum may commit more now.
      this.bcastAppend();
    } else {
      // Probe new members at once instead of waiting for a heartbeat.
      this.trk.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id, false);
      });
    }
    if (this.leadTransferee !== NONE && !this.trk.isVoter(this.leadTransferee)) {
      this.abortLeaderTransfer();
    }
    return cs;
  }
}
