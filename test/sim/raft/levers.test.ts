/**
 * The raft simulator's targeted levers (fault-profile.ts: split appends, deposed leaders, slow
 * applies) must actually fire, or the breakages they exist for (docs/testing.md, pitfalls 1, 6
 * and 13) pass unseen again. Correct code keeps every checked property under them.
 */
import { describe, expect, it } from 'vitest';
import { formatFailure, runSimulation } from './simulation.js';

describe('raft simulator levers', () => {
  it('split appends, deposed leaders and slow applies all happen, and correct code passes them', () => {
    const totals: Record<string, number> = { splitAppends: 0, leadersDeposed: 0, slowApplies: 0 };
    for (let seed = 1; seed <= 20; seed++) {
      const r = runSimulation({ seed, rounds: 1, chaosTicks: 30 });
      if (!r.ok) expect.fail(formatFailure(r));
      for (const k of Object.keys(totals)) totals[k] = (totals[k] as number) + (r.counts[k] ?? 0);
    }
    for (const [k, n] of Object.entries(totals)) expect(n, k).toBeGreaterThan(0);
  }, 60_000);
});
