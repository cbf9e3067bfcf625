/**
 * Chaos finding F4: a committed history that stopped short of the final revision was reported as
 * lost writes. The checker must call it "history incomplete" and still catch a real loss below
 * the revision the history reached.
 */
import { describe, expect, it } from 'vitest';
import type { Operation } from '../checker/history.js';
import type { KvInput, KvOutput } from '../checker/kv-model.js';
import type { WatchResponseRecord, WatchStreamRecord } from '../checker/watch-history.js';
import { checkAcknowledgedWrites } from './acked-writes.js';

function put(id: number, key: string, value: string, revision: number): Operation<KvInput, KvOutput> {
  return { id, client: id, input: { op: 'put', key, value }, output: { op: 'put', revision }, status: 'ok', call: id, return: id + 0.5 } as Operation<KvInput, KvOutput>;
}

/** Puts of k<rev>=v<rev> at revisions 2..last, each acknowledged. */
function puts(last: number): Operation<KvInput, KvOutput>[] {
  return Array.from({ length: last - 1 }, (_, i) => put(i, `k${i + 2}`, `v${i + 2}`, i + 2));
}

/** The read-back of revisions 2..upTo, one response per revision as the client yields them. */
function history(upTo: number, skip?: number): WatchStreamRecord {
  const responses: WatchResponseRecord[] = [];
  for (let rev = 2; rev <= upTo; rev++) {
    if (rev === skip) continue;
    responses.push({ headerRevision: rev, events: [{ type: 'PUT', key: `k${rev}`, value: `v${rev}`, revision: rev }] });
  }
  return { client: 30_000, request: { key: 'k', rangeEnd: 'k0', startRevision: 1 }, responses };
}

describe('acknowledged writes against the committed history', () => {
  it('passes a history that reaches the final revision with every write', () => {
    expect(checkAcknowledgedWrites(puts(40), history(40), 40)).toEqual([]);
  });

  it('calls a truncated history incomplete, naming both revisions, and never "write lost"', () => {
    const problems = checkAcknowledgedWrites(puts(40), history(25), 40);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^history incomplete: .* reached revision 25 of 40; 15 acknowledged writes above it were not checked/);
    expect(problems.join('\n')).not.toMatch(/write lost/);
  });

  it('an empty read-back is incomplete too', () => {
    const problems = checkAcknowledgedWrites(puts(10), { ...history(1), responses: [] }, 10);
    expect(problems).toEqual([expect.stringMatching(/^history incomplete: .* reached revision 0 of 10; 9 acknowledged/)]);
  });

  it('still reports a write missing below the revision reached', () => {
    const problems = checkAcknowledgedWrites(puts(40), history(25, 12), 40);
    expect(problems[0]).toMatch(/^history incomplete/);
    expect(problems.slice(1)).toEqual([expect.stringMatching(/^acknowledged write lost: op 10 put k12=v12 acknowledged at revision 12/)]);
  });

  it('reports a missing write in a complete history as lost', () => {
    expect(checkAcknowledgedWrites(puts(40), history(40, 33), 40)).toEqual([expect.stringMatching(/^acknowledged write lost: .* revision 33/)]);
  });
});
