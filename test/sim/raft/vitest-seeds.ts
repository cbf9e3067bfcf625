/**
 * Shared driver of the sim-*.test.ts files: runs a range of seeds (or only $SEED when set, to
 * replay a failure) and fails with the seed, the fault profile and the last 50 events.
 */
import { expect, it } from 'vitest';
import { formatFailure, runSimulation } from './simulation.js';
import type { SimOptions } from './simulation.js';

export function simulateSeeds(label: string, from: number, count: number, extra: Omit<SimOptions, 'seed'> = {}): void {
  const replay = process.env.SEED;
  const seeds = replay !== undefined ? [Number(replay)] : Array.from({ length: count }, (_, i) => from + i);
  it(`${label}: ${replay !== undefined ? `seed ${replay}` : `seeds ${from}..${from + count - 1}`} keep Raft's safety properties and heal`, () => {
    let checks = 0;
    for (const seed of seeds) {
      const r = runSimulation({ ...extra, seed });
      if (!r.ok) expect.fail(formatFailure(r));
      checks += (r.counts.applied ?? 0) + (r.counts.completenessChecks ?? 0);
    }
    // The run did real work: entries were applied and leader completeness was exercised.
    expect(checks).toBeGreaterThan(seeds.length);
  });
}
