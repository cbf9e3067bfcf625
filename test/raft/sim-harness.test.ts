/**
 * Tests of the simulator's own parts: a checker that cannot fail, a network that cannot drop or
 * a storage that cannot lose writes would make every green simulation run meaningless.
 */
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src/raft/types.js';
import { SeededRng } from '../../src/util/rng.js';
import { CrashyWrites } from '../sim/crashy-writes.js';
import { SimNetwork } from '../sim/network.js';
import { SafetyChecker, SafetyViolation } from '../sim/raft/safety-checker.js';
import type { LogView } from '../sim/raft/safety-checker.js';
import { GENESIS_HASH, encodeAppSnapshot } from '../sim/raft/state-machine.js';

interface Msg {
  from: number;
  to: number;
  n: number;
}

function drain(net: SimNetwork<Msg>, until: number): Msg[] {
  const out: Msg[] = [];
  for (let d = net.nextDue(until); d !== undefined; d = net.nextDue(until)) out.push(d.msg);
  return out;
}

describe('SimNetwork', () => {
  it('keeps each link FIFO unless told to reorder', () => {
    const net = new SimNetwork<Msg>(new SeededRng(1));
    net.faults = { dropRate: 0, dupRate: 0, reorderRate: 0, minDelay: 0, meanExtraDelay: 1, maxDelay: 5 };
    for (let n = 0; n < 200; n++) net.send({ from: 1, to: 2, n }, n / 100);
    const got = drain(net, 10).map((m) => m.n);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('delivers everything on healthy links, and reorders when delays vary', () => {
    const net = new SimNetwork<Msg>(new SeededRng(1));
    net.faults = { dropRate: 0, dupRate: 0, reorderRate: 1, minDelay: 0, meanExtraDelay: 1, maxDelay: 5 };
    for (let n = 0; n < 200; n++) net.send({ from: 1, to: 2, n }, 0);
    const got = drain(net, 10).map((m) => m.n);
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(got).not.toEqual([...got].sort((a, b) => a - b));
  });

  it('drops and duplicates at the configured rates', () => {
    const net = new SimNetwork<Msg>(new SeededRng(2), 100_000);
    net.faults = { dropRate: 0.2, dupRate: 0.1, reorderRate: 0, minDelay: 0.1, meanExtraDelay: 0, maxDelay: 0.1 };
    for (let n = 0; n < 5000; n++) net.send({ from: 1, to: 2, n }, 0);
    const got = drain(net, 1);
    expect(net.stats.dropped).toBeGreaterThan(850);
    expect(net.stats.dropped).toBeLessThan(1150);
    expect(net.stats.duplicated).toBeGreaterThan(300);
    expect(got.length).toBe(5000 - net.stats.dropped + net.stats.duplicated);
  });

  it('cuts one way, both ways, partitions, and drops in-flight packets on a cut link', () => {
    const net = new SimNetwork<Msg>(new SeededRng(3));
    net.send({ from: 1, to: 2, n: 0 }, 0);
    net.cutOneWay(1, 2);
    expect(drain(net, 10)).toEqual([]); // cut while in flight
    net.send({ from: 1, to: 2, n: 1 }, 0);
    net.send({ from: 2, to: 1, n: 2 }, 0);
    expect(drain(net, 10).map((m) => m.n)).toEqual([2]);
    net.heal();
    net.partition([[1, 2], [3]]);
    net.send({ from: 1, to: 2, n: 3 }, 10);
    net.send({ from: 1, to: 3, n: 4 }, 10);
    net.send({ from: 3, to: 2, n: 5 }, 10);
    expect(drain(net, 20).map((m) => m.n)).toEqual([3]);
  });

  it('bounds the queue: overflow loses packets and reports them', () => {
    const net = new SimNetwork<Msg>(new SeededRng(4), 10);
    const lost: number[] = [];
    net.onLost = (m) => lost.push(m.n);
    for (let n = 0; n < 15; n++) net.send({ from: 1, to: 2, n }, 0);
    expect(net.inFlight).toBe(10);
    expect(net.stats.overflow).toBe(5);
    expect(lost.length).toBe(5);
  });

  it('is deterministic per seed', () => {
    const run = (seed: number): number[] => {
      const net = new SimNetwork<Msg>(new SeededRng(seed));
      net.faults = { dropRate: 0.1, dupRate: 0.1, reorderRate: 0.5, minDelay: 0, meanExtraDelay: 1, maxDelay: 3 };
      for (let n = 0; n < 100; n++) net.send({ from: 1, to: 2, n }, n / 10);
      return drain(net, 100).map((m) => m.n);
    };
    expect(run(9)).toEqual(run(9));
    expect(run(9)).not.toEqual(run(10));
  });
});

describe('CrashyWrites', () => {
  const push = (s: number[], op: number): number[] => [...s, op];

  it('keeps synced writes and a prefix of unsynced ones across a crash', () => {
    for (let seed = 0; seed < 50; seed++) {
      const w = new CrashyWrites<number[], number>([], push);
      w.write(1, false);
      w.write(2, true);
      w.write(3, false);
      w.write(4, false);
      const after = w.crash(new SeededRng(seed));
      expect(after.slice(0, 2)).toEqual([1, 2]);
      expect([[1, 2], [1, 2, 3], [1, 2, 3, 4]]).toContainEqual(after);
    }
  });

  it('loses unsynced writes for some seeds (a crash is not a no-op)', () => {
    const outcomes = new Set<number>();
    for (let seed = 0; seed < 50; seed++) {
      const w = new CrashyWrites<number[], number>([], push);
      w.write(1, false);
      w.write(2, false);
      outcomes.add(w.crash(new SeededRng(seed)).length);
    }
    expect(outcomes).toEqual(new Set([0, 1, 2]));
  });
});

function logOf(entries: Entry[], first = 1): LogView {
  return {
    firstIndex: () => first,
    lastIndex: () => first + entries.length - 1,
    term: (i) => (i === first - 1 ? 0 : (entries[i - first]?.term ?? 0)),
    entries: (lo, hi) => entries.slice(lo - first, hi - first),
  };
}

const ent = (index: number, term: number, s = ''): Entry => ({ index, term, type: 'normal', data: new TextEncoder().encode(s) });

describe('SafetyChecker catches each violation', () => {
  it('two leaders in one term', () => {
    const c = new SafetyChecker();
    c.onLeader(1, 5, logOf([]));
    c.onLeader(1, 5, logOf([]));
    expect(() => c.onLeader(2, 5, logOf([]))).toThrow(SafetyViolation);
  });

  it('two entries at one (index, term), or different predecessors', () => {
    const c = new SafetyChecker();
    const a = [ent(1, 1, 'x'), ent(2, 2, 'y')];
    c.onAppend(1, a, logOf(a));
    expect(() => c.onAppend(2, [ent(2, 2, 'z')], logOf([ent(1, 1, 'x'), ent(2, 2, 'z')]))).toThrow(/log matching/);
    expect(() => c.onAppend(3, [ent(2, 2, 'y')], logOf([ent(1, 3, 'x'), ent(2, 2, 'y')]))).toThrow(/log matching/);
  });

  it('different entries applied at one index, gaps in apply, a new leader missing a committed entry', () => {
    const c = new SafetyChecker();
    const h = c.onApply(1, ent(1, 1, 'a'), 0, GENESIS_HASH, 1);
    c.onApply(1, ent(2, 1, 'b'), 1, h, 1);
    expect(() => c.onApply(2, ent(1, 1, 'other'), 0, GENESIS_HASH, 1)).toThrow(/state machine safety/);
    expect(() => c.onApply(3, ent(3, 1, 'c'), 1, h, 1)).toThrow(/applied 3 after 1/);
    expect(() => c.onLeader(4, 2, logOf([ent(1, 1, 'a')]))).toThrow(/leader completeness/);
    c.onLeader(5, 3, logOf([ent(1, 1, 'a'), ent(2, 1, 'b')]));
  });

  it('a snapshot whose state nobody applied, double votes, stale reads', () => {
    const c = new SafetyChecker(1, GENESIS_HASH);
    const snap = (index: number, hash: string) => ({ metadata: { index, term: 1, confState: { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }, data: encodeAppSnapshot({ index, hash }) });
    expect(c.onSnapshotInstalled(1, snap(1, GENESIS_HASH))).toBe(GENESIS_HASH);
    expect(() => c.onSnapshotInstalled(1, snap(1, 'bogus'))).toThrow(/differs/);
    expect(() => c.onSnapshotInstalled(1, snap(7, GENESIS_HASH))).toThrow(/no node applied/);
    c.onVoteGranted(1, 3, 2);
    c.onVoteGranted(1, 3, 2);
    expect(() => c.onVoteGranted(1, 3, 4)).toThrow(/double vote/);
    c.onApply(1, ent(2, 1, 'a'), 1, GENESIS_HASH, 1);
    c.onReadRequested('r1');
    expect(() => c.onReadState(2, 'r1', 1)).toThrow(/read index/);
    c.onReadState(2, 'r1', 2);
  });
});
