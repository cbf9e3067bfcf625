/** Pitfall 3: the §5.4.1 up-to-date check is lexicographic on (lastTerm, lastIndex). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RaftLog } from '../../src/raft/log.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { ent } from './msgs.js';

/** Non-decreasing terms (a log's terms never go down), possibly empty. */
const logTerms = fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 8 }).map((ts) => ts.sort((a, b) => a - b));

function logOf(terms: number[]): RaftLog {
  const s = new MemoryStorage();
  s.append(terms.map((t, i) => ent(t, i + 1)));
  return new RaftLog(s, Infinity);
}

describe('up-to-date check', () => {
  it('pitfall 3: a candidate is up-to-date iff (lastTerm, lastIndex) ≥ ours lexicographically', () => {
    fc.assert(
      fc.property(logTerms, logTerms, (voter, candidate) => {
        const log = logOf(voter);
        const vLast = voter.length;
        const vTerm = voter[vLast - 1] ?? 0;
        const cLast = candidate.length;
        const cTerm = candidate[cLast - 1] ?? 0;
        const expected = cTerm > vTerm || (cTerm === vTerm && cLast >= vLast);
        expect(log.isUpToDate(cLast, cTerm)).toBe(expected);
        // Neither component alone decides: a longer log with an older last term loses.
        if (cTerm < vTerm) expect(log.isUpToDate(cLast + 100, cTerm)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('pitfall 3: of two logs at least one is up-to-date with respect to the other (total order)', () => {
    fc.assert(
      fc.property(logTerms, logTerms, (a, b) => {
        const la = logOf(a);
        const lb = logOf(b);
        const aOk = lb.isUpToDate(la.lastIndex(), la.lastTerm());
        const bOk = la.isUpToDate(lb.lastIndex(), lb.lastTerm());
        expect(aOk || bOk).toBe(true);
        if (aOk && bOk) expect([la.lastIndex(), la.lastTerm()]).toEqual([lb.lastIndex(), lb.lastTerm()]);
      }),
      { numRuns: 300 },
    );
  });
});
