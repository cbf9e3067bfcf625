/**
 * Shared driver of the sim-*.test.ts files: runs a range of seeds in chunks of 25 (one vitest
 * test each, so a slow machine never hits a timeout on a long range), or only $SEED when set, to
 * replay a failure. A failure reports the seed, the fault profile, the exact CLI replay command
 * and the last 50 events.
 */
import { expect, it } from 'vitest';
import { formatFailure, runSimulation } from './simulation.js';
import type { SimOptions } from './simulation.js';

const CHUNK = 25;
/** Generous: a chunk takes a few seconds, but CI shares two cores with other test files. */
const CHUNK_TIMEOUT_MS = 120_000;

function runChunk(seeds: readonly number[], extra: Omit<SimOptions, 'seed'>): void {
  let checks = 0;
  for (const seed of seeds) {
    const r = runSimulation({ ...extra, seed });
    if (!r.ok) expect.fail(formatFailure(r));
    checks += (r.counts.applied ?? 0) + (r.counts.completenessChecks ?? 0);
  }
  // The run did real work: entries were applied and leader completeness was exercised.
  expect(checks).toBeGreaterThan(seeds.length);
}

export function simulateSeeds(label: string, from: number, count: number, extra: Omit<SimOptions, 'seed'> = {}): void {
  const replay = process.env.SEED;
  if (replay !== undefined) {
    it(`${label}: seed ${replay} keeps Raft's safety properties and heals`, () => runChunk([Number(replay)], extra), CHUNK_TIMEOUT_MS);
    return;
  }
  for (let start = from; start < from + count; start += CHUNK) {
    const end = Math.min(from + count, start + CHUNK);
    const seeds = Array.from({ length: end - start }, (_, i) => start + i);
    it(`${label}: seeds ${start}..${end - 1} keep Raft's safety properties and heal`, () => runChunk(seeds, extra), CHUNK_TIMEOUT_MS);
  }
}
