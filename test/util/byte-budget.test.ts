import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../src/util/byte-budget.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('ByteBudget', () => {
  it('lets charges through up to the limit, then holds the next until bytes come back', async () => {
    const budget = new ByteBudget(100);
    const a = budget.lease();
    const b = budget.lease();
    await a.charge(60);
    let bDone = false;
    const bCharge = b.charge(60).then(() => (bDone = true));
    await flush();
    expect([bDone, budget.inUse]).toEqual([false, 60]);
    a.release();
    await bCharge;
    expect([bDone, budget.inUse, b.bytes]).toEqual([true, 60, 60]);
    b.release();
    expect(budget.inUse).toBe(0);
  });

  it('never holds the oldest lease, so leases that each hold part cannot wait on one another', async () => {
    const budget = new ByteBudget(100);
    const first = budget.lease();
    const second = budget.lease();
    await first.charge(50);
    await second.charge(50);
    // The budget is spent: the second waits for bytes, the first (oldest) goes past the limit.
    let secondDone = false;
    const more = second.charge(10).then(() => (secondDone = true));
    await first.charge(30);
    expect(budget.inUse).toBe(130);
    await flush();
    expect(secondDone).toBe(false);
    first.release();
    await more;
    expect(budget.inUse).toBe(60);
    second.release();
    expect(budget.inUse).toBe(0);
  });

  it('a lease released while it waits takes nothing', async () => {
    const budget = new ByteBudget(10);
    const a = budget.lease();
    const b = budget.lease();
    await a.charge(10);
    const waiting = b.charge(5);
    b.release();
    a.release();
    await waiting;
    expect(budget.inUse).toBe(0);
  });
});
