/** Randomized simulation, every fault and feature mixed (see test/sim/raft/fault-profile.ts). */
import { describe } from 'vitest';
import { simulateSeeds } from '../sim/raft/vitest-seeds.js';

describe('raft simulator: all faults', () => {
  simulateSeeds('mixed faults, 3–7 nodes', 1, 60);
  simulateSeeds('mixed faults, 3–7 nodes', 1001, 60);
});
