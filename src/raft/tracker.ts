/**
 * The leader's bookkeeping over the current configuration (etcd-io/raft `tracker/tracker.go`):
 * the (possibly joint) voter sets, learners, per-node Progress and the votes of an election.
 */
import { jointCommitted, jointVoteResult, type VoteResult } from './quorum.js';
import type { Progress } from './progress.js';
import type { ConfState, NodeId } from './types.js';

export interface TrackerConfig {
  /** [incoming, outgoing]; outgoing is non-empty only in a joint configuration. */
  readonly voters: readonly [Set<NodeId>, Set<NodeId>];
  readonly learners: Set<NodeId>;
  /** Voters of the outgoing config that become learners when the joint config is left. */
  readonly learnersNext: Set<NodeId>;
  autoLeave: boolean;
}

export function emptyTrackerConfig(): TrackerConfig {
  return { voters: [new Set(), new Set()], learners: new Set(), learnersNext: new Set(), autoLeave: false };
}

export function cloneTrackerConfig(c: TrackerConfig): TrackerConfig {
  return {
    voters: [new Set(c.voters[0]), new Set(c.voters[1])],
    learners: new Set(c.learners),
    learnersNext: new Set(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

export function isJoint(c: TrackerConfig): boolean {
  return c.voters[1].size > 0;
}

const sorted = (s: Iterable<NodeId>): NodeId[] => [...s].sort((a, b) => a - b);

export function describeConfig(c: TrackerConfig): string {
  let s = `voters=(${sorted(c.voters[0]).join(' ')})`;
  if (c.voters[1].size > 0) s += `&&(${sorted(c.voters[1]).join(' ')})`;
  if (c.learners.size > 0) s += ` learners=(${sorted(c.learners).join(' ')})`;
  if (c.learnersNext.size > 0) s += ` learners_next=(${sorted(c.learnersNext).join(' ')})`;
  if (c.autoLeave) s += ' autoleave';
  return s;
}

export type ProgressMap = Map<NodeId, Progress>;

export class ProgressTracker {
  config: TrackerConfig = emptyTrackerConfig();
  progress: ProgressMap = new Map();
  readonly votes = new Map<NodeId, boolean>();

  constructor(
    readonly maxInflight: number,
    readonly maxInflightBytes: number,
  ) {}

  confState(): ConfState {
    const c = this.config;
    return {
      voters: sorted(c.voters[0]),
      votersOutgoing: sorted(c.voters[1]),
      learners: sorted(c.learners),
      learnersNext: sorted(c.learnersNext),
      autoLeave: c.autoLeave,
    };
  }

  /** Only this node is a voter: it can decide alone (reads are answered at once). */
  isSingleton(): boolean {
    return this.config.voters[0].size === 1 && this.config.voters[1].size === 0;
  }

  /** Highest index durably stored on a quorum of voters (joint: on both quorums). */
  committed(): number {
    return jointCommitted(this.config.voters, (id) => this.progress.get(id)?.match);
  }

  /** Visits every tracked node in id order (deterministic message order). */
  visit(f: (id: NodeId, pr: Progress) => void): void {
    for (const id of sorted(this.progress.keys())) f(id, this.progress.get(id) as Progress);
  }

  /** CheckQuorum: a quorum of voters was heard from since the last check. */
  quorumActive(): boolean {
    const votes = new Map<NodeId, boolean>();
    this.visit((id, pr) => {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    });
    return jointVoteResult(this.config.voters, votes) === 'won';
  }

  /** Result of a vote (or of ReadIndex heartbeat acks) under the current, possibly joint, config. */
  quorumOf(votes: ReadonlyMap<NodeId, boolean>): VoteResult {
    return jointVoteResult(this.config.voters, votes);
  }

  voterIds(): NodeId[] {
    return sorted(new Set([...this.config.voters[0], ...this.config.voters[1]]));
  }

  isVoter(id: NodeId): boolean {
    return this.config.voters[0].has(id) || this.config.voters[1].has(id);
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Records the first answer of each voter; repeats are ignored. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: jointVoteResult(this.config.voters, this.votes) };
  }
}
