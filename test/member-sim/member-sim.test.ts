/**
 * A short batch of whole-member simulations for `npm test` (`npm run sim:member` runs many):
 * three members under partitions, drops, delays and power losses, with concurrent clients;
 * the history must be linearizable and every member must converge once faults heal.
 */
import { describe, expect, it } from 'vitest';
import { simulate } from './simulate.js';

const FIRST_SEED = Number(process.env.SEED ?? 1);
const SEEDS = process.env.SEED !== undefined ? 1 : 6;

describe('whole-member simulation', () => {
  for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
    it(`seed ${seed}: linearizable and convergent under faults`, async () => {
      const r = await simulate({ seed, durationMs: 2000 });
      const detail = `seed ${seed} (replay: SEED=${seed} npx vitest run test/member-sim)\n${r.problems.join('\n')}\n${r.log.join('\n')}`;
      expect(r.problems, detail).toEqual([]);
      expect(r.okOperations, 'clients made progress').toBeGreaterThan(20);
    }, 120_000);
  }
});
