/** Randomized simulation, every fault and feature mixed (see test/sim/raft/fault-profile.ts). */
import { describe } from 'vitest';
import { simulateSeeds } from '../sim/raft/vitest-seeds.js';

describe('raft simulator: all faults', () => {
  simulateSeeds('mixed faults, 3–7 nodes', 1, 25, { chaosTicks: 60 });
  simulateSeeds('mixed faults, 3–7 nodes, long chaos', 1001, 5, { chaosTicks: 150 });
});
