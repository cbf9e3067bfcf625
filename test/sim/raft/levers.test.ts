/**
 * The raft simulator's targeted levers (fault-profile.ts: split appends, deposed leaders, slow
 * applies) must actually fire, or the breakages they exist for (docs/testing.md, pitfalls 1, 6
 * and 13) pass unseen again. Correct code keeps every checked property under them, also with
 * every lever forced high. `SEED=n npx vitest run test/sim/raft/levers.test.ts` replays one seed.
 */
import { describe, expect, it } from 'vitest';
import { formatFailure, runSimulation } from './simulation.js';

const replay = process.env.SEED !== undefined ? Number(process.env.SEED) : undefined;
const seeds = (n: number): number[] => (replay !== undefined ? [replay] : Array.from({ length: n }, (_, i) => i + 1));

describe('raft simulator levers', () => {
  it('split appends, deposed leaders and slow applies all happen, and correct code passes them', () => {
    const totals: Record<string, number> = { splitAppends: 0, leadersDeposed: 0, slowApplies: 0 };
    for (const seed of seeds(20)) {
      const r = runSimulation({ seed, rounds: 1, chaosTicks: 30 });
      if (!r.ok) expect.fail(formatFailure(r));
      for (const k of Object.keys(totals)) totals[k] = (totals[k] as number) + (r.counts[k] ?? 0);
    }
    for (const [k, n] of Object.entries(totals)) expect(n, k).toBeGreaterThan(0);
  }, 60_000);

  it('with every lever forced high, correct code keeps every checked property', () => {
    const profile = { splitAppendRate: 0.3, deposeLeaderRate: 0.7, slowApplyRate: 0.6, maxApplyLag: 3 };
    let applied = 0;
    for (const seed of seeds(40)) {
      const r = runSimulation({ seed, rounds: 1, chaosTicks: 60, profile });
      if (!r.ok) expect.fail(formatFailure(r));
      applied += r.counts.applied ?? 0;
    }
    expect(applied).toBeGreaterThan(40);
  }, 120_000);
});
