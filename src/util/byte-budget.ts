/**
 * A member-wide bound on bytes held by requests in flight (issue 15: 16 full ranges of 100k keys
 * at once peaked at 2.9 GB). Each request takes a lease and charges it as it reads; a charge that
 * would pass the limit waits until others release. The oldest lease never waits, so requests that
 * each hold part of the budget cannot wait on one another forever: the total may pass the limit
 * by what the oldest request holds, never more.
 */
import { assert } from './assert.js';

export class ByteBudget {
  private used = 0;
  /** Live leases in the order they were taken: the first is the oldest. */
  private readonly leases = new Set<BudgetLease>();
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    assert(Number.isSafeInteger(limit) && limit > 0, () => `byte budget limit ${limit}`);
  }

  get inUse(): number {
    return this.used;
  }

  lease(): BudgetLease {
    const lease = new BudgetLease(this);
    this.leases.add(lease);
    return lease;
  }

  /** @internal BudgetLease.charge */
  async take(lease: BudgetLease, bytes: number): Promise<void> {
    while (this.used > 0 && this.used + bytes > this.limit && !this.isOldest(lease)) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (lease.released) return;
    }
    this.used += bytes;
  }

  /** @internal BudgetLease.release */
  give(lease: BudgetLease, bytes: number): void {
    this.leases.delete(lease);
    this.used -= bytes;
    assert(this.used >= 0, () => `byte budget went negative (${this.used})`);
    // Everyone waiting looks again: the oldest lease may have changed as well as the total.
    for (const wake of this.waiting.splice(0)) wake();
  }

  private isOldest(lease: BudgetLease): boolean {
    return this.leases.values().next().value === lease;
  }
}

export class BudgetLease {
  private held = 0;
  released = false;

  constructor(private readonly budget: ByteBudget) {}

  get bytes(): number {
    return this.held;
  }

  /** Adds `bytes` to this lease, waiting while the budget is spent by others. */
  async charge(bytes: number): Promise<void> {
    assert(!this.released, 'charge on a released budget lease');
    await this.budget.take(this, bytes);
    if (!this.released) this.held += bytes;
  }

  /** Returns everything this lease holds; later calls do nothing. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.give(this, this.held);
    this.held = 0;
  }
}
