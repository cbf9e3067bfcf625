/**
 * Quorum arithmetic (raft-pitfalls.md 14) property-tested against brute force: the committed
 * index of a majority or joint configuration is the largest index a quorum (of each half) has
 * acknowledged, and a vote is won/lost exactly when every/no way of filling in the missing votes
 * wins. Learners (ids outside the voter sets) never count.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jointCommitted, jointVoteResult, majorityCommitted, majorityVoteResult } from '../../src/raft/quorum.js';
import type { VoteResult } from '../../src/raft/quorum.js';

const UNIVERSE = [1, 2, 3, 4, 5, 6, 7, 8, 9];

const voterSet = fc.subarray(UNIVERSE, { minLength: 0, maxLength: 7 }).map((xs) => new Set(xs));
/** Acks for every id in the universe (voters and would-be learners alike); missing = never acked. */
const ackMap = fc.dictionary(fc.constantFrom(...UNIVERSE.map(String)), fc.nat({ max: 20 }), { maxKeys: 9 }).map(
  (d) => new Map(Object.entries(d).map(([k, v]) => [Number(k), v] as const)),
);
const voteMap = fc.dictionary(fc.constantFrom(...UNIVERSE.map(String)), fc.boolean(), { maxKeys: 9 }).map(
  (d) => new Map(Object.entries(d).map(([k, v]) => [Number(k), v] as const)),
);

function quorumHas(voters: ReadonlySet<number>, ok: (id: number) => boolean): boolean {
  if (voters.size === 0) return true; // an empty half never blocks (etcd: it commits everything)
  let n = 0;
  for (const id of voters) if (ok(id)) n++;
  return n > voters.size / 2;
}

function bruteCommitted(halves: readonly ReadonlySet<number>[], acks: ReadonlyMap<number, number>): number {
  if (halves.every((h) => h.size === 0)) return Infinity;
  const candidates = [0, ...acks.values()];
  let best = 0;
  for (const i of candidates) {
    if (halves.every((h) => quorumHas(h, (id) => (acks.get(id) ?? 0) >= i))) best = Math.max(best, i);
  }
  return best;
}

function bruteVote(halves: readonly ReadonlySet<number>[], votes: ReadonlyMap<number, boolean>): VoteResult {
  const all = [...new Set(halves.flatMap((h) => [...h]))];
  const missing = all.filter((id) => !votes.has(id));
  let wins = 0;
  const total = 1 << missing.length;
  for (let mask = 0; mask < total; mask++) {
    const filled = new Map(votes);
    missing.forEach((id, i) => filled.set(id, (mask & (1 << i)) !== 0));
    if (halves.every((h) => quorumHas(h, (id) => filled.get(id) === true))) wins++;
  }
  return wins === total ? 'won' : wins === 0 ? 'lost' : 'pending';
}

const RUNS = { numRuns: 2000 };

describe('pitfall 14: quorum arithmetic with learners and joint configs matches brute force', () => {
  it('pitfall 14: majority committed index', () => {
    fc.assert(
      fc.property(voterSet, ackMap, (voters, acks) => {
        expect(majorityCommitted(voters, (id) => acks.get(id))).toBe(bruteCommitted([voters], acks));
      }),
      RUNS,
    );
  });

  it('pitfall 14: joint committed index', () => {
    fc.assert(
      fc.property(voterSet, voterSet, ackMap, (incoming, outgoing, acks) => {
        expect(jointCommitted([incoming, outgoing], (id) => acks.get(id))).toBe(bruteCommitted([incoming, outgoing], acks));
      }),
      RUNS,
    );
  });

  it('pitfall 14: majority vote result', () => {
    fc.assert(
      fc.property(voterSet, voteMap, (voters, votes) => {
        expect(majorityVoteResult(voters, votes)).toBe(bruteVote([voters], votes));
      }),
      RUNS,
    );
  });

  it('pitfall 14: joint vote result', () => {
    fc.assert(
      fc.property(voterSet, voterSet, voteMap, (incoming, outgoing, votes) => {
        expect(jointVoteResult([incoming, outgoing], votes)).toBe(bruteVote([incoming, outgoing], votes));
      }),
      RUNS,
    );
  });

  it('pitfall 14: acks and votes of non-voters (learners) never change a result', () => {
    fc.assert(
      fc.property(voterSet, voterSet, ackMap, voteMap, (incoming, outgoing, acks, votes) => {
        const isVoter = (id: number): boolean => incoming.has(id) || outgoing.has(id);
        const votersOnlyAcks = new Map([...acks].filter(([id]) => isVoter(id)));
        const votersOnlyVotes = new Map([...votes].filter(([id]) => isVoter(id)));
        expect(jointCommitted([incoming, outgoing], (id) => acks.get(id))).toBe(
          jointCommitted([incoming, outgoing], (id) => votersOnlyAcks.get(id)),
        );
        expect(jointVoteResult([incoming, outgoing], votes)).toBe(jointVoteResult([incoming, outgoing], votersOnlyVotes));
      }),
      RUNS,
    );
  });

  it('pitfall 14: a joint config is never weaker than either half (no majority−1 shortcut)', () => {
    fc.assert(
      fc.property(voterSet, voterSet, ackMap, (incoming, outgoing, acks) => {
        const acked = (id: number): number | undefined => acks.get(id);
        const joint = jointCommitted([incoming, outgoing], acked);
        expect(joint).toBeLessThanOrEqual(majorityCommitted(incoming, acked));
        expect(joint).toBeLessThanOrEqual(majorityCommitted(outgoing, acked));
      }),
      RUNS,
    );
  });

  it('pitfall 14: examples — 5 voters need 3 acks; joint (1,2,3)&&(3,4,5) needs both', () => {
    const acks = new Map([[1, 10], [2, 9], [3, 8], [4, 2], [5, 1]]);
    expect(majorityCommitted(new Set([1, 2, 3, 4, 5]), (id) => acks.get(id))).toBe(8);
    expect(jointCommitted([new Set([1, 2, 3]), new Set([3, 4, 5])], (id) => acks.get(id))).toBe(2);
    expect(majorityVoteResult(new Set([1, 2, 3, 4]), new Map([[1, true], [2, true]]))).toBe('pending');
    expect(majorityVoteResult(new Set([1, 2, 3, 4]), new Map([[1, false], [2, false]]))).toBe('lost');
  });
});
