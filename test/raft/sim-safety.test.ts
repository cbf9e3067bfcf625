/**
 * Randomized simulation, every fault and feature mixed (see test/sim/raft/fault-profile.ts).
 * Most seeds are short (one chaos round of 30 ticks, then a healed liveness round); a few run
 * two long rounds. `SEED=n npx vitest run test/raft/sim-safety.test.ts` replays one seed.
 */
import { describe } from 'vitest';
import { simulateSeeds } from '../sim/raft/vitest-seeds.js';

describe('raft simulator: all faults', () => {
  simulateSeeds('mixed faults, 3–7 nodes, short', 1, 150, { rounds: 1, chaosTicks: 30 });
  simulateSeeds('mixed faults, 3–7 nodes, two long rounds', 1001, 5, { chaosTicks: 150 });
});
