/**
 * The application's handle on a raft node (etcd-io/raft `rawnode.go`): feed it ticks,
 * messages and proposals; collect a Ready, persist it, send its messages, apply its committed
 * entries, then advance(). Synchronous and single-threaded.
 */
import { assert } from '../util/assert.js';
import { KvError, isKvError } from '../util/errors.js';
import { coalesceMessages } from './coalesce.js';
import type { RaftConfig } from './config.js';
import { encodeConfChange } from './confchange-codec.js';
import { LOCAL_MESSAGE_TYPES, isResponse, type Message } from './messages.js';
import { Raft } from './raft.js';
import type { Ready } from './ready.js';
import type { ProgressStatus, Status } from './status.js';
import {
  hardStateEqual,
  isEmptyHardState,
  type ConfChangeV2,
  type ConfState,
  type Entry,
  type HardState,
  type NodeId,
  type SoftState,
} from './types.js';

export class RawNode {
  /** The state machine itself; exposed for tests and diagnostics, not for driving it. */
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private outstanding: Ready | undefined;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  tick(): void {
    this.raft.tick();
  }

  campaign(): void {
    this.raft.step(this.local('MsgHup'));
  }

  /** Throws KvError('ProposalDropped') when there is no leader, a transfer is on, or the tail is full. */
  propose(data: Uint8Array): void {
    this.raft.step({ ...this.local('MsgProp'), type: 'MsgProp', entries: [{ term: 0, index: 0, type: 'normal', data }] });
  }

  proposeConfChange(cc: ConfChangeV2): void {
    const data = encodeConfChange(cc);
    this.raft.step({ ...this.local('MsgProp'), type: 'MsgProp', entries: [{ term: 0, index: 0, type: 'confChangeV2', data }] });
  }

  /** Call when a conf change entry is applied; returns the new configuration. */
  applyConfChange(cc: ConfChangeV2): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** Steps a message from the network. Local message types are rejected. */
  step(m: Message): void {
    if (LOCAL_MESSAGE_TYPES.has(m.type)) throw new KvError('InvalidArgument', `raft: cannot step raft local message ${m.type}`);
    // Term 0 marks local messages; from the network only forwarded proposals and reads carry it.
    if (m.term === 0 && m.type !== 'MsgProp' && m.type !== 'MsgReadIndex') return;
    // Responses from nodes we do not track (removed members) are dropped (etcd ErrStepPeerNotFound).
    if (isResponse(m.type) && !this.raft.trk.progress.has(m.from)) return;
    try {
      this.raft.step(m);
    } catch (err) {
      // A forwarded proposal the leader cannot take is dropped silently; the proposer times out.
      if (isKvError(err, 'ProposalDropped')) return;
      throw err;
    }
  }

  /**
   * Asks for a read index; the answer arrives as a ReadState in a later Ready (or never, if
   * dropped). `requestCtx` must be unique across members and restarts (see read-only.ts).
   */
  readIndex(requestCtx: Uint8Array): void {
    this.raft.step({ ...this.local('MsgReadIndex'), type: 'MsgReadIndex', context: requestCtx });
  }

  transferLeader(transferee: NodeId): void {
    this.raft.step({ type: 'MsgTransferLeader', from: transferee, to: this.raft.id, term: 0 });
  }

  forgetLeader(): void {
    this.raft.step(this.local('MsgForgetLeader'));
  }

  reportUnreachable(id: NodeId): void {
    this.raft.step({ type: 'MsgUnreachable', from: id, to: this.raft.id, term: 0 });
  }

  reportSnapshot(id: NodeId, status: 'finish' | 'failure'): void {
    this.raft.step({ type: 'MsgSnapStatus', from: id, to: this.raft.id, term: 0, reject: status === 'failure' });
  }

  hasReady(): boolean {
    if (this.outstanding) return false;
    const r = this.raft;
    r.flushReadHeartbeats();
    const soft = r.softState();
    if (soft.lead !== this.prevSoftState.lead || soft.raftState !== this.prevSoftState.raftState) return true;
    const hs = r.hardState();
    if (!isEmptyHardState(hs) && !hardStateEqual(hs, this.prevHardState)) return true;
    if (r.log.nextUnstableSnapshot()) return true;
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    return r.log.hasNextUnstableEnts() || r.log.hasNextCommittedEnts();
  }

  ready(): Ready {
    assert(this.outstanding === undefined, 'ready() called again before advance()');
    const r = this.raft;
    r.flushReadHeartbeats();
    const entries = r.log.nextUnstableEnts();
    const committedEntries = r.log.nextCommittedEnts();
    const snapshot = r.log.nextUnstableSnapshot();
    const messages = r.cfg.coalesceMessages ? coalesceMessages(r.msgs, r.cfg.maxSizePerMsg) : r.msgs;
    const rd: Ready = { entries, committedEntries, messages, readStates: r.readStates, mustSync: false };
    if (snapshot) rd.snapshot = snapshot;
    const soft = r.softState();
    if (soft.lead !== this.prevSoftState.lead || soft.raftState !== this.prevSoftState.raftState) {
      rd.softState = soft;
      this.prevSoftState = soft;
    }
    const hs = r.hardState();
    if (!hardStateEqual(hs, this.prevHardState)) rd.hardState = hs;
    rd.mustSync = entries.length > 0 || snapshot !== undefined ||
      hs.term !== this.prevHardState.term || hs.vote !== this.prevHardState.vote;
    this.prevHardState = hs;
    // Accept: these are now the application's to persist, send and apply.
    r.msgs = [];
    r.readStates = [];
    r.log.unstable.acceptInProgress();
    const lastCommitted = committedEntries[committedEntries.length - 1];
    if (lastCommitted) r.log.acceptApplying(lastCommitted.index);
    this.outstanding = rd;
    return rd;
  }

  /** After persisting rd's state, entries and snapshot and applying its committed entries. */
  advance(rd: Ready): void {
    assert(this.outstanding === rd, 'advance() must be given the Ready returned by the last ready()');
    this.outstanding = undefined;
    const r = this.raft;
    if (rd.snapshot) {
      r.log.stableSnapTo(rd.snapshot.metadata.index);
      r.log.appliedSnap(rd.snapshot.metadata.index);
    }
    const lastEntry: Entry | undefined = rd.entries[rd.entries.length - 1];
    if (lastEntry) r.entriesPersisted(lastEntry.index, lastEntry.term);
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted) {
      r.reduceUncommittedSize(rd.committedEntries);
      r.appliedTo(lastCommitted.index);
    }
  }

  status(): Status {
    const r = this.raft;
    let progress: Map<NodeId, ProgressStatus> | undefined;
    if (r.state === 'leader') {
      progress = new Map();
      r.trk.visit((id, pr) => {
        (progress as Map<NodeId, ProgressStatus>).set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          pendingSnapshot: pr.pendingSnapshot,
          recentActive: pr.recentActive,
          paused: pr.isPaused(),
          inflight: pr.inflights.count(),
          isLearner: pr.isLearner,
        });
      });
    }
    const base = {
      id: r.id,
      hardState: r.hardState(),
      softState: r.softState(),
      applied: r.log.applied,
      config: r.trk.confState(),
      leadTransferee: r.leadTransferee,
    };
    return progress ? { ...base, progress } : base;
  }

  private local<T extends 'MsgHup' | 'MsgProp' | 'MsgReadIndex' | 'MsgForgetLeader'>(type: T): { type: T; from: NodeId; to: NodeId; term: 0 } {
    return { type, from: this.raft.id, to: this.raft.id, term: 0 };
  }
}
