/** Randomized simulation pinned to each cluster size, so small and large clusters both get seeds. */
import { describe } from 'vitest';
import { simulateSeeds } from '../sim/raft/vitest-seeds.js';

describe('raft simulator: cluster sizes', () => {
  for (const nodes of [3, 4, 5, 6, 7]) simulateSeeds(`${nodes} nodes`, 10_000 * nodes, 20, { nodes, rounds: 1, chaosTicks: 30 });
});
