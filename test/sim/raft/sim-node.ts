/**
 * One simulated member: a RawNode over crashy storage, driving the application loop of
 * raft-api.md (persist → send → apply → advance) and reporting everything to the checker.
 * A crash discards the RawNode and the in-memory state machine; a restart rebuilds both from
 * what the storage durably holds (state machine = last durable snapshot, as raftexample does).
 */
import { decodeConfChange, RawNode } from '../../../src/raft/index.js';
import type { RaftConfig } from '../../../src/raft/index.js';
import type { Message } from '../../../src/raft/messages.js';
import type { ConfState, Entry, HardState, SoftState } from '../../../src/raft/types.js';
import type { Ready } from '../../../src/raft/ready.js';
import { EMPTY_CONF_STATE } from '../../../src/raft/types.js';
import { isKvError } from '../../../src/util/errors.js';
import type { SeededRng } from '../../../src/util/rng.js';
import { CrashyRaftStorage } from '../crashy-storage.js';
import type { DurableRaftState } from '../crashy-storage.js';
import { SafetyViolation } from './safety-checker.js';
import type { SafetyChecker } from './safety-checker.js';
import { ChainStateMachine, decodeAppSnapshot, GENESIS_HASH } from './state-machine.js';

export type NodeOptions = Omit<RaftConfig, 'id' | 'storage' | 'rng' | 'applied'>;

export interface NodeHooks {
  send(m: Message): void;
  log(line: string): void;
  /** Called after `node` applied entry `e` (its state machine already updated). */
  applied(node: number, e: Entry, confBefore: ConfState): void;
  /** When true, the node crashes after persisting this Ready and before sending it. */
  crashMidReady(node: number): boolean;
  /** A ReadIndex answer (the application may serve the read once it applied `index`). */
  readState?(node: number, ctx: string, index: number): void;
  /** `node` just became leader. */
  becameLeader?(node: number): void;
  /** Ticks to wait before applying this Ready's committed entries (0: apply now). */
  applyLag?(node: number): number;
  /** Runs `fn` `delay` ticks from now (needed when applyLag can be positive). */
  later?(delay: number, fn: () => void): void;
}

/**
 * Deliberately broken applications, to prove the checker catches what they break:
 * `neverSync` ignores Ready.mustSync (a crash loses acknowledged entries and votes).
 */
export interface AppBugs {
  neverSync?: boolean;
  /** Skip the persist-before-reply check, so only Raft's own properties can catch a bug. */
  skipReplyCheck?: boolean;
  /**
   * Step messages while a slow apply holds a Ready (several steps then share the next Ready, as
   * in the server's RaftLoop) instead of deferring them: reproduces FINDINGS.md note 7.
   */
  stepWhileApplying?: boolean;
}

const dec = new TextDecoder();

export class SimNode {
  readonly storage: CrashyRaftStorage;
  raw: RawNode | undefined;
  app = new ChainStateMachine();
  term = 0;
  soft: SoftState = { lead: 0, raftState: 'follower' };
  retired = false;
  /**
   * Messages that arrived while a Ready was outstanding (a slow apply), stepped once it
   * advances. Stepping them at once would batch several steps into one Ready, and raft can then
   * send an append ack for entries a later step of that Ready truncated (FINDINGS.md, note 7).
   */
  private deferred: Message[] = [];
  private holding = false;
  /** The commit index of the last hard state this node emitted. */
  private commit = 0;

  constructor(
    readonly id: number,
    initial: DurableRaftState,
    private readonly rng: SeededRng,
    private readonly options: NodeOptions,
    private readonly checker: SafetyChecker,
    private readonly hooks: NodeHooks,
    private readonly bugs: AppBugs = {},
  ) {
    this.storage = new CrashyRaftStorage(initial);
    this.start();
  }

  get up(): boolean {
    return this.raw !== undefined;
  }

  get isLeader(): boolean {
    return this.raw !== undefined && this.soft.raftState === 'leader';
  }

  /** (Re)builds the RawNode and the state machine from durable storage. */
  start(): void {
    const ms = this.storage.memory;
    const snap = ms.snapshot();
    const hs = ms.initialState().hardState;
    if (snap.metadata.index > 0) {
      this.app.restore(snap.metadata.index, decodeAppSnapshot(snap.data).hash, snap.metadata.confState);
    } else {
      this.app.restore(0, GENESIS_HASH, EMPTY_CONF_STATE);
    }
    this.term = hs.term;
    this.commit = hs.commit;
    this.soft = { lead: 0, raftState: 'follower' };
    this.raw = new RawNode({ ...this.options, id: this.id, storage: ms, rng: this.rng.fork(), applied: this.app.appliedIndex });
    this.hooks.log(`n${this.id} start term=${hs.term} vote=${hs.vote} commit=${hs.commit} snap=${snap.metadata.index} last=${ms.lastIndex()}`);
  }

  crash(rng: SeededRng): void {
    if (this.raw === undefined) return;
    const pending = this.storage.pendingWrites;
    this.raw = undefined;
    this.holding = false;
    this.deferred = [];
    const s = this.storage.crash(rng);
    this.hooks.log(`n${this.id} CRASH (pending writes ${pending}; durable term=${s.hardState.term} last=${(s.snapshot?.metadata.index ?? 0) + s.entries.length})`);
  }

  /** Runs the Ready loop until the node has nothing more to do. */
  drain(): void {
    for (let guard = 0; this.raw?.hasReady(); guard++) {
      if (guard > 1000) throw new Error(`n${this.id}: Ready loop did not settle after 1000 rounds`);
      this.handleReady(this.raw);
    }
  }

  private handleReady(raw: RawNode): void {
    const rd = raw.ready();
    if (rd.hardState !== undefined) this.noteHardState(rd.hardState);
    if (rd.snapshot !== undefined && rd.snapshot.metadata.index === 0) {
      throw new Error(`n${this.id}: Ready carried an empty snapshot`);
    }
    this.storage.saveReady(rd.hardState, rd.entries, rd.snapshot, rd.mustSync && !this.bugs.neverSync);
    if (rd.entries.length > 0) this.checker.onAppend(this.id, rd.entries, this.storage.memory);
    if (rd.softState !== undefined) {
      const was = this.soft.raftState;
      this.soft = rd.softState;
      if (rd.softState.raftState !== was) this.hooks.log(`n${this.id} becomes ${rd.softState.raftState} term=${this.term} lead=${rd.softState.lead}`);
      if (rd.softState.raftState === 'leader') {
        this.checker.onLeader(this.id, this.term, this.storage.memory);
        if (was !== 'leader') this.hooks.becameLeader?.(this.id);
      }
    } else if (this.soft.raftState === 'leader' && rd.hardState !== undefined) {
      // Still (or again) leader, possibly of a newer term: Election Safety applies to it too.
      this.checker.onLeader(this.id, this.term, this.storage.memory);
    }
    if (rd.hardState !== undefined) {
      if (this.soft.raftState === 'leader' && rd.hardState.commit > this.commit) {
        this.checker.onLeaderCommit(this.id, this.term, rd.hardState.commit, this.storage.memory);
      }
      this.commit = rd.hardState.commit;
    }
    if (this.hooks.crashMidReady(this.id)) {
      this.hooks.log(`n${this.id} crash after persisting a Ready, before sending ${rd.messages.length} messages`);
      this.crash(this.rng);
      return;
    }
    const durable = this.storage.durable();
    for (const m of rd.messages) {
      if (!this.bugs.skipReplyCheck) this.checker.onReply(this.id, m, durable);
      if (m.type === 'MsgVoteResp' && !m.reject) this.checker.onVoteGranted(m.from, m.term, m.to);
      this.hooks.send(m);
    }
    if (rd.snapshot !== undefined) {
      const hash = this.checker.onSnapshotInstalled(this.id, rd.snapshot);
      this.app.restore(rd.snapshot.metadata.index, hash, rd.snapshot.metadata.confState);
      this.hooks.log(`n${this.id} installs snapshot at ${rd.snapshot.metadata.index}`);
    }
    const lag = rd.snapshot === undefined && rd.committedEntries.length > 0 ? (this.hooks.applyLag?.(this.id) ?? 0) : 0;
    if (lag > 0 && this.hooks.later !== undefined) {
      // A slow state machine: this Ready stays outstanding (raft keeps ticking and stepping, but
      // emits nothing new) until its entries are applied.
      this.hooks.log(`n${this.id} applies ${rd.committedEntries.length} entries up to ${rd.committedEntries.at(-1)?.index} ${lag.toFixed(2)} ticks late`);
      this.holding = true;
      this.hooks.later(lag, () => {
        if (this.raw !== raw) return; // crashed meanwhile: the restart rebuilds from storage
        this.holding = false;
        this.applyAndAdvance(raw, rd);
        this.drain();
        for (const m of this.deferred.splice(0)) {
          this.step(m);
          this.drain();
        }
      });
      return;
    }
    this.applyAndAdvance(raw, rd);
  }

  private applyAndAdvance(raw: RawNode, rd: Ready): void {
    for (const e of rd.committedEntries) {
      const confBefore = this.app.confState;
      this.app.hash = this.checker.onApply(this.id, e, this.app.appliedIndex, this.app.hash, this.term);
      this.app.appliedIndex = e.index;
      if (e.type === 'confChangeV2') {
        // Empty data is the empty change that leaves a joint config (etcd's auto-leave has nil data).
        const cc = decodeConfChange(e.data);
        this.app.confState = raw.applyConfChange(cc);
        this.hooks.log(`n${this.id} applies conf change at ${e.index}: ${describeConf(this.app.confState)}`);
      }
      this.hooks.applied(this.id, e, confBefore);
    }
    for (const rs of rd.readStates) {
      const ctx = dec.decode(rs.requestCtx);
      this.checker.onReadState(this.id, ctx, rs.index);
      this.hooks.readState?.(this.id, ctx, rs.index);
    }
    raw.advance(rd);
  }

  /** Ticks the node, checking the campaign rule below. */
  tick(): void {
    this.campaignChecked(() => this.raw?.tick());
  }

  step(m: Message): void {
    if (this.holding && !this.bugs.stepWhileApplying) this.deferred.push(m);
    else this.campaignChecked(() => this.raw?.step(m));
  }

  /**
   * Thesis §4.8 (etcd-io/raft#456, raft-pitfalls 13): a node with committed but unapplied
   * configuration changes counts votes with a stale configuration, so it must not campaign.
   * Checked against what the application has really applied, whenever an action starts a
   * (pre-)campaign.
   */
  private campaignChecked(action: () => void): void {
    const r = this.raw?.raft;
    if (r === undefined) return;
    const before = `${r.state}/${r.term}`;
    action();
    if ((r.state !== 'candidate' && r.state !== 'preCandidate') || `${r.state}/${r.term}` === before) return;
    const applied = this.app.appliedIndex;
    if (r.log.committed <= applied) return;
    const pending = r.log.slice(applied + 1, r.log.committed + 1, Number.MAX_SAFE_INTEGER).find((e) => e.type !== 'normal');
    if (pending !== undefined) {
      throw new SafetyViolation(`campaign with unapplied conf change: n${this.id} became ${r.state} (term ${r.term}) with conf change ${pending.index} committed but applied only to ${applied}`);
    }
  }

  private noteHardState(hs: HardState): void {
    if (hs.term < this.term) throw new Error(`n${this.id}: term went back from ${this.term} to ${hs.term}`);
    this.term = hs.term;
  }

  /** Proposes `data`; false when raft dropped it (no leader, transfer in progress, …). */
  propose(data: Uint8Array): boolean {
    if (this.raw === undefined) return false;
    try {
      this.raw.propose(data);
      return true;
    } catch (err) {
      if (isKvError(err, 'ProposalDropped')) return false;
      throw err;
    }
  }
}

export function describeConf(cs: { voters: readonly number[]; learners: readonly number[]; votersOutgoing: readonly number[]; learnersNext: readonly number[]; autoLeave: boolean }): string {
  const out = cs.votersOutgoing.length > 0 ? `&&(${cs.votersOutgoing.join(',')})` : '';
  const lrn = cs.learners.length > 0 ? ` learners(${cs.learners.join(',')})` : '';
  const nxt = cs.learnersNext.length > 0 ? ` next(${cs.learnersNext.join(',')})` : '';
  return `voters(${cs.voters.join(',')})${out}${lrn}${nxt}${cs.autoLeave ? ' auto' : ''}`;
}
