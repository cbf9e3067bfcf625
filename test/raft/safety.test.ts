/**
 * Raft's safety properties (Figure 3) checked after randomized runs on the faulty test
 * network: election safety, log matching, leader completeness and state machine safety.
 */
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src/raft/types.js';
import { SeededRng } from '../../src/util/rng.js';
import { Network } from './network.js';

const ids = [1, 2, 3, 4, 5];

function logOf(net: Network, id: number): Entry[] {
  const s = net.node(id).storage;
  return s.lastIndex() >= s.firstIndex() ? s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity) : [];
}

function runChaos(seed: number): void {
  const rng = new SeededRng(seed);
  const net = new Network(ids, { netSeed: seed, seed: undefined, perNode: Object.fromEntries(ids.map((id) => [id, { seed: seed * 10 + id }])) });
  net.duplicateRate = 0.1;
  net.reorderRate = 0.2;
  const leaders = new Map<number, number>(); // term → leader id
  const committed = new Map<number, number>(); // index → term of entries known committed
  const commitTerm = new Map<number, number>(); // index → lowest leader term seen committing it
  const seen = new Map<number, number>(); // node → applied entries already recorded
  net.afterDeliver = () => {
    for (const id of ids) {
      const r = net.node(id).raft;
      if (r.state !== 'leader') continue;
      const prev = leaders.get(r.term);
      // Election safety: at most one leader per term.
      expect(prev === undefined || prev === id, `two leaders in term ${r.term}`).toBe(true);
      leaders.set(r.term, id);
    }
  };
  for (let step = 0; step < 150; step++) {
    const x = rng.next();
    const a = ids[rng.int(ids.length)] as number;
    const b = ids[rng.int(ids.length)] as number;
    const lead = net.leader();
    if (x < 0.1) net.cut(a, b);
    else if (x < 0.15) net.recover();
    else if (x < 0.2 && lead !== undefined) net.isolate(lead);
    else if (x < 0.25) net.drop(a, b, 0.5);
    else if (x < 0.55) {
      // Proposals go to any node: followers forward them (or drop them without a leader).
      try {
        net.propose(a, `v${step}`);
      } catch {
        // dropped: fine
      }
    } else net.tickAll(1 + rng.int(5));
    // Record what was applied anywhere: it is committed and must never change.
    for (const id of ids) {
      const applied = net.node(id).applied;
      for (const e of applied.slice(seen.get(id) ?? 0)) {
        const t = committed.get(e.index);
        expect(t === undefined || t === e.term, `index ${e.index} applied with two terms`).toBe(true);
        committed.set(e.index, e.term);
      }
      seen.set(id, applied.length);
    }
    // Leader completeness: an entry a leader of term T committed is in the log of every
    // leader of a later term. (A deposed leader still in an older term may lack it.)
    for (const id of ids) {
      const r = net.node(id).raft;
      if (r.state !== 'leader') continue;
      for (const [index, at] of commitTerm) {
        if (at < r.term && index >= r.log.firstIndex()) {
          expect(r.log.term(index), `leader ${id} (term ${r.term}) lacks ${index}`).toBe(committed.get(index));
        }
      }
      for (let i = Math.max(r.log.firstIndex(), 1); i <= r.log.committed; i++) {
        if (!commitTerm.has(i) || (commitTerm.get(i) as number) > r.term) commitTerm.set(i, r.term);
        if (!committed.has(i)) committed.set(i, r.log.term(i) as number);
      }
    }
  }
  net.recover();
  net.tickAll(60);
  // Log matching: same (index, term) ⇒ identical prefixes.
  for (const i of ids) {
    for (const j of ids) {
      if (i >= j) continue;
      const li = logOf(net, i);
      const lj = logOf(net, j);
      for (let k = Math.min(li.length, lj.length) - 1; k >= 0; k--) {
        if (li[k]?.term === lj[k]?.term) {
          expect(li.slice(0, k + 1), `logs of ${i} and ${j} up to ${k + 1}`).toEqual(lj.slice(0, k + 1));
          break;
        }
      }
    }
  }
  // State machine safety: applied sequences are prefixes of one another.
  const applied = ids.map((id) => net.node(id).applied.map((e) => `${e.index}/${e.term}`));
  const longest = applied.reduce((a, b) => (a.length >= b.length ? a : b));
  for (const seq of applied) expect(seq).toEqual(longest.slice(0, seq.length));
  // The run exercised elections and commits, not just a quiet cluster.
  expect(leaders.size).toBeGreaterThan(1);
  expect(committed.size).toBeGreaterThan(10);
}

describe('safety under random faults', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}: election safety, log matching, leader completeness, state machine safety`, () => {
      runChaos(seed);
    });
  }
});
