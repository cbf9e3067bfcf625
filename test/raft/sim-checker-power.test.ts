/**
 * The simulator must fail when the system under test is broken. Here the application ignores
 * Ready.mustSync, so a crash loses entries and votes it already acknowledged (raft-pitfalls.md
 * 2 and 7): the persist-before-reply check catches it at once, and with that check off Raft's
 * own properties (leader completeness, log matching, …) or the core's invariants still do.
 */
import { describe, expect, it } from 'vitest';
import { formatFailure, runSimulation } from '../sim/raft/simulation.js';
import type { SimResult } from '../sim/raft/simulation.js';

function failures(seeds: number, bugs: NonNullable<Parameters<typeof runSimulation>[0]['bugs']>): SimResult[] {
  const out: SimResult[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const r = runSimulation({ seed, chaosTicks: 60, bugs });
    if (!r.ok) out.push(r);
  }
  return out;
}

describe('the simulator catches a broken application', () => {
  it('an app that never syncs is caught by the persist-before-reply check', () => {
    const failed = failures(10, { neverSync: true });
    expect(failed.length).toBeGreaterThan(5);
    expect(failed.some((r) => /before persist/.test(r.failure ?? ''))).toBe(true);
    // The report names the seed, the exact replay command and the last events.
    const first = failed[0] as SimResult;
    expect(first.lastEvents.length).toBeGreaterThan(10);
    expect(formatFailure(first)).toContain(`seed ${first.seed}; replay: npm run sim -- --seed ${first.seed} --chaos 60`);
    expect(formatFailure(first).split('\n').length).toBeGreaterThan(first.lastEvents.length);
  }, 60_000);

  it('with that check off, lost acknowledged writes still break a checked property or a core invariant', () => {
    const failed = failures(15, { neverSync: true, skipReplyCheck: true });
    expect(failed.length).toBeGreaterThan(2);
    for (const r of failed) expect(r.failure).toMatch(/SafetyViolation|AssertionError|KvError/);
  }, 60_000);

  it('the same seeds pass with a correct application', () => {
    for (let seed = 1; seed <= 5; seed++) expect(runSimulation({ seed, chaosTicks: 60 }).ok).toBe(true);
  }, 60_000);
});
