/**
 * Raft's safety properties (Raft paper Fig. 3), checked incrementally from what the nodes
 * emit in their Readies — after every simulation step:
 *  - Election Safety: at most one leader per term.
 *  - Log Matching: every (index, term) names one entry whose predecessor has one term; by
 *    induction two logs agreeing at (index, term) agree on everything before it.
 *  - Leader Completeness: a new leader holds every entry known committed in an earlier term.
 *  - State Machine Safety: every node applies the same entry at an index, contiguously, and a
 *    snapshot's digest equals the digest of what others applied up to its index.
 * Plus: one granted vote per (voter, term), and ReadIndex linearizability (a read's index is at
 * least every index applied anywhere before the read was requested).
 */
import type { Message } from '../../../src/raft/messages.js';
import type { Entry, Snapshot } from '../../../src/raft/types.js';
import type { DurableRaftState } from '../crashy-storage.js';
import { chainHash, decodeAppSnapshot, entryKey, GENESIS_HASH } from './state-machine.js';

export class SafetyViolation extends Error {
  override readonly name = 'SafetyViolation';
}

interface Committed {
  readonly key: string;
  /** An upper bound on the term in which the entry was committed (min term of any applier). */
  commitTerm: number;
}

/** The view of a node's log the checker needs (its storage after this Ready was persisted). */
export interface LogView {
  firstIndex(): number;
  lastIndex(): number;
  term(index: number): number;
  entries(lo: number, hi: number, maxSize: number): Entry[];
}

export class SafetyChecker {
  private readonly leaders = new Map<number, number>();
  private readonly entryAt = new Map<string, string>();
  private readonly committed = new Map<number, Committed>();
  /** hashes[i] = digest of the applied prefix 1..i, as first seen. */
  private readonly hashes = new Map<number, string>();
  private readonly votes = new Map<string, number>();
  private readonly pendingReads = new Map<string, number>();
  maxApplied = 0;
  readonly counts = { leaders: 0, applied: 0, snapshotsInstalled: 0, reads: 0, completenessChecks: 0, leaderCommits: 0 };

  constructor(bootstrapIndex = 0, bootstrapHash = GENESIS_HASH) {
    this.hashes.set(bootstrapIndex, bootstrapHash);
    this.maxApplied = bootstrapIndex;
  }

  private fail(msg: string): never {
    throw new SafetyViolation(msg);
  }

  /** Election Safety and Leader Completeness, when `node` reports itself leader of `term`. */
  onLeader(node: number, term: number, log: LogView): void {
    const prev = this.leaders.get(term);
    if (prev !== undefined && prev !== node) this.fail(`election safety: ${prev} and ${node} both lead term ${term}`);
    if (prev === node) return;
    this.leaders.set(term, node);
    this.counts.leaders++;
    const first = log.firstIndex();
    const last = log.lastIndex();
    const held = last >= first ? log.entries(first, last + 1, Number.MAX_SAFE_INTEGER) : [];
    for (const [index, c] of this.committed) {
      if (c.commitTerm >= term || index < first) continue;
      this.counts.completenessChecks++;
      const e = held[index - first];
      if (e === undefined) this.fail(`leader completeness: leader ${node} of term ${term} lacks committed index ${index} (log ${first}..${last})`);
      if (entryKey(e) !== c.key) this.fail(`leader completeness: leader ${node} of term ${term} has ${entryKey(e)} at ${index}, committed ${c.key}`);
    }
  }

  /**
   * The commitment rule of §5.4.2 (Figure 8, raft-pitfalls 1): a leader advances its commit
   * index only by counting replicas of an entry of its own term; older entries commit with it.
   */
  onLeaderCommit(node: number, term: number, commit: number, log: LogView): void {
    this.counts.leaderCommits++;
    const at = log.term(commit);
    if (at !== term) this.fail(`commit rule (§5.4.2, Figure 8): leader ${node} of term ${term} moved its commit index to ${commit}, an entry of term ${at}`);
  }

  /** Log Matching, for entries `node` just appended to `log`. */
  onAppend(node: number, entries: readonly Entry[], log: LogView): void {
    for (const e of entries) {
      const prevTerm = e.index <= 1 ? 0 : log.term(e.index - 1);
      const id = `${e.index}:${e.term}`;
      const val = `${prevTerm}|${entryKey(e)}`;
      const seen = this.entryAt.get(id);
      if (seen === undefined) this.entryAt.set(id, val);
      else if (seen !== val) this.fail(`log matching: node ${node} holds ${val} at ${id}, another node ${seen}`);
    }
  }

  /** State Machine Safety for one applied entry; `term` is the applier's current term. */
  onApply(node: number, e: Entry, prevApplied: number, prevHash: string, term: number): string {
    if (e.index !== prevApplied + 1) this.fail(`state machine safety: node ${node} applied ${e.index} after ${prevApplied}`);
    const key = entryKey(e);
    const c = this.committed.get(e.index);
    if (c === undefined) this.committed.set(e.index, { key, commitTerm: term });
    else if (c.key !== key) this.fail(`state machine safety: node ${node} applied ${key} at ${e.index}, another node ${c.key}`);
    else c.commitTerm = Math.min(c.commitTerm, term);
    const hash = chainHash(prevHash, key);
    const known = this.hashes.get(e.index);
    if (known === undefined) this.hashes.set(e.index, hash);
    else if (known !== hash) this.fail(`state machine safety: node ${node}'s applied prefix at ${e.index} differs from another node's`);
    this.counts.applied++;
    if (e.index > this.maxApplied) this.maxApplied = e.index;
    return hash;
  }

  /** A snapshot installed by raft: its state must be a prefix others applied. */
  onSnapshotInstalled(node: number, snap: Snapshot): string {
    const d = decodeAppSnapshot(snap.data);
    const idx = snap.metadata.index;
    if (d.index !== idx) this.fail(`snapshot: node ${node} got metadata index ${idx} with state at ${d.index}`);
    const known = this.hashes.get(idx);
    if (known === undefined) this.fail(`snapshot: node ${node} installed a snapshot at ${idx} that no node applied`);
    if (known !== d.hash) this.fail(`state machine safety: node ${node} installed a snapshot at ${idx} that differs from applied history`);
    this.counts.snapshotsInstalled++;
    return d.hash;
  }

  /** A granted (real) vote: a voter may grant at most one candidate per term (Raft §5.2). */
  onVoteGranted(voter: number, term: number, candidate: number): void {
    const k = `${voter}@${term}`;
    const prev = this.votes.get(k);
    if (prev === undefined) this.votes.set(k, candidate);
    else if (prev !== candidate) this.fail(`double vote: ${voter} voted for ${prev} and ${candidate} in term ${term}`);
  }

  /**
   * Persist before replying (raft-pitfalls.md 2, 7, 17): an append ack may only cover entries
   * already durable, and a granted vote must already be durable with its term.
   */
  onReply(node: number, m: Message, durable: DurableRaftState): void {
    if (m.type === 'MsgAppResp' && !m.reject) {
      const base = durable.snapshot?.metadata.index ?? 0;
      const last = base + durable.entries.length;
      if (m.index > last) this.fail(`ack before persist: node ${node} acked index ${m.index} to ${m.to} with only ${last} durable`);
      // An ack in term T vouches for entries a term-T leader sent; a durable entry of a later
      // term at that index means the acked one was replaced before the ack left (FINDINGS 7).
      const acked = m.index > base ? durable.entries[m.index - base - 1] : undefined;
      if (acked !== undefined && acked.term > m.term) {
        this.fail(`ack of a replaced entry: node ${node} acked index ${m.index} to ${m.to} in term ${m.term}, but its durable entry there is of term ${acked.term}`);
      }
    } else if (m.type === 'MsgVoteResp' && !m.reject) {
      const hs = durable.hardState;
      // A grant is safe once its vote is durable, or once a later term is: a node durably past
      // term T can never grant another vote in T (several steps can share one Ready).
      if (hs.term < m.term || (hs.term === m.term && hs.vote !== m.to)) {
        this.fail(`vote before persist: node ${node} granted ${m.to} in term ${m.term}, durable (term ${hs.term}, vote ${hs.vote})`);
      }
    }
  }

  /** Remembers what a read issued now must observe. */
  onReadRequested(ctx: string): void {
    this.pendingReads.set(ctx, this.maxApplied);
  }

  onReadState(node: number, ctx: string, index: number): void {
    const need = this.pendingReads.get(ctx);
    if (need === undefined) return; // not issued through onReadRequested (a scripted test's own read)
    this.counts.reads++;
    if (index < need) this.fail(`read index: node ${node} answered read ${ctx} at ${index}, but ${need} was applied before it was issued`);
  }
}
