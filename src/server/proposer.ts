/**
 * Proposals and their waiters (etcd `processInternalRaftRequestOnce`): register a waiter, hand
 * the proposal to raft, resolve when apply triggers it or fail at the request timeout. Without
 * a known leader a proposal waits for one (etcd's node does), so a request during an election
 * is delayed, not failed. Raft refusing a proposal means it was never appended: safe to retry.
 */
import type { RawNode } from '../raft/index.js';
import type { Clock } from '../util/clock.js';
import { KvError } from '../util/errors.js';
import type { ApplyResult } from './apply.js';
import type { MemberMetrics } from './metrics.js';
import type { RaftLoop } from './raft-loop.js';
import type { WaitRegistry } from './wait.js';

/** etcd refuses new proposals when apply lags commit by this much. */
const MAX_APPLY_BACKLOG = 5000;

export interface ProposerDeps {
  readonly loop: RaftLoop;
  readonly waits: WaitRegistry<ApplyResult>;
  readonly clock: Clock;
  readonly metrics: MemberMetrics;
  readonly timeoutMs: number;
  /** How long to wait before retrying a proposal raft refused for a passing reason. */
  readonly retryMs: number;
  readonly leader: () => number;
  /** commit − applied, for the backlog limit. */
  readonly applyBacklog: () => number;
}

export class Proposer {
  private leaderWaiters: Array<() => void> = [];

  constructor(private readonly d: ProposerDeps) {}

  /** Registers a waiter for `id`, submits, and resolves with the apply result (or its error). */
  async propose(id: string, submit: (node: RawNode) => void, retryRefused = false): Promise<unknown> {
    if (this.d.applyBacklog() > MAX_APPLY_BACKLOG) throw new KvError('TooManyRequests');
    const result = this.d.waits.register(id);
    this.d.metrics.proposalsPending.inc();
    const timer = this.d.clock.setTimeout(() => this.d.waits.fail(id, new KvError('Timeout')), this.d.timeoutMs);
    this.submit(id, submit, retryRefused);
    try {
      const r = await result;
      if (!r.ok) throw r.error;
      return r.value;
    } catch (err) {
      this.d.metrics.proposalsFailed.inc();
      throw err;
    } finally {
      timer.cancel();
      this.d.metrics.proposalsPending.dec();
    }
  }

  /** A leader is known again: proposals that were waiting for one go now. */
  onLeader(): void {
    for (const retry of this.leaderWaiters.splice(0)) retry();
  }

  private submit(id: string, submit: (node: RawNode) => void, retryRefused: boolean): void {
    if (!this.d.waits.isRegistered(id)) return; // timed out or stopped meanwhile
    const again = () => this.submit(id, submit, retryRefused);
    if (this.d.leader() === 0) {
      this.leaderWaiters.push(again);
      return;
    }
    try {
      this.d.loop.submit((node) => {
        try {
          submit(node);
        } catch (err) {
          if (this.d.leader() === 0) this.leaderWaiters.push(again);
          else if (retryRefused) this.d.clock.setTimeout(again, this.d.retryMs);
          else this.d.waits.fail(id, err as Error);
        }
      });
    } catch (err) {
      this.d.waits.fail(id, err as Error);
    }
  }
}
