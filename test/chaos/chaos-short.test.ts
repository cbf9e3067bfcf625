/**
 * The short chaos run in `npm test` (about a minute): three real `cairn serve` processes behind
 * fault-injecting proxies, 25 s of concurrent clients and watches under SIGKILL/restart,
 * SIGSTOP/SIGCONT, partitions, slow fsync, power loss (members 1 and 3 on the power-loss disk),
 * member replacement and leader transfer, then heal and check linearizability, acknowledged writes, equal key-space hashes and
 * the watch guarantees. Long runs: `npm run chaos -- --duration 600 --seed N`.
 */
import { describe, expect, it } from 'vitest';
import { ALL_FAULTS } from './faults.js';
import { describeResult, runChaos } from './run.js';

describe('chaos (short)', () => {
  it('keeps its promises under a seeded mix of faults', async () => {
    const result = await runChaos({ seed: 4242, size: 3, durationMs: 25_000, faults: ALL_FAULTS, disk: 'mixed', clients: 4 });
    expect(result.ok, describeResult(result)).toBe(true);
    expect(result.byOutcome.ok).toBeGreaterThan(50);
    expect(Object.values(result.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(2);
  }, 240_000);
});
