/**
 * Merged messages (src/raft/coalesce.ts) must say exactly what the originals said: a follower
 * that steps the merged MsgApps ends with the same log and commit index, and acknowledges as far,
 * as one stepping every original in order; and a leader under load sends one MsgApp per peer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coalesceMessages } from '../../src/raft/coalesce.js';
import type { Message, MessageOf } from '../../src/raft/messages.js';
import { RawNode } from '../../src/raft/rawnode.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import type { Entry } from '../../src/raft/types.js';
import { SeededRng } from '../../src/util/rng.js';
import { confStateOf } from './harness.js';

type MsgApp = MessageOf<'MsgApp'>;
const LEADER_TERM = 100;
const entry = (index: number, term: number): Entry => ({ index, term, type: 'normal', data: new Uint8Array([index & 0xff]) });

function follower(log: readonly Entry[]): RawNode {
  const storage = new MemoryStorage({ confState: confStateOf([1, 2, 3]) });
  storage.append(log);
  storage.setHardState({ term: LEADER_TERM, vote: 0, commit: 0 });
  return new RawNode({ id: 2, electionTick: 10, heartbeatTick: 1, storage, rng: new SeededRng(1) });
}

/** What a follower holds after stepping `msgs`: its log's (index, term) pairs, commit, and furthest ack. */
function outcome(log: readonly Entry[], msgs: readonly Message[]) {
  const rn = follower(log);
  for (const m of msgs) rn.step(m);
  const rd = rn.ready();
  const l = rn.raft.log;
  const terms: number[] = [];
  for (let i = 1; i <= l.lastIndex(); i++) terms.push(l.term(i) as number);
  const acks = rd.messages.filter((m): m is MessageOf<'MsgAppResp'> => m.type === 'MsgAppResp');
  const accepted = acks.filter((m) => !m.reject).map((m) => m.index);
  return { terms, commit: l.committed, furthestAck: Math.max(0, ...accepted), rejected: acks.some((m) => m.reject) };
}

/**
 * A leader log of `n` entries in even terms up to LEADER_TERM, a follower holding its first `k`
 * plus a conflicting tail in odd terms (never equal to the leader's at an index, so Log Matching
 * holds), and a stream of MsgApps the leader could send: each continues the previous one, or
 * restarts (a probe after a rejection) at an index the follower might hold.
 */
const scenario = fc
  .record({
    termSteps: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 30 }),
    k: fc.nat(30),
    tail: fc.nat(5),
    sends: fc.array(fc.record({ restart: fc.boolean(), at: fc.nat(30), count: fc.nat(4), commitStep: fc.nat(3) }), { minLength: 1, maxLength: 12 }),
  })
  .map(({ termSteps, k, tail, sends }) => {
    const leaderLog: Entry[] = [];
    let term = 2;
    for (const [i, step] of termSteps.entries()) {
      term += 2 * step;
      leaderLog.push(entry(i + 1, Math.min(term, LEADER_TERM)));
    }
    const keep = Math.min(k, leaderLog.length);
    const base = leaderLog[keep - 1]?.term ?? 0;
    const followerLog = leaderLog.slice(0, keep).concat(Array.from({ length: tail }, (_, j) => entry(keep + j + 1, base + 1)));
    const msgs: MsgApp[] = [];
    let next = 1;
    let commit = 0;
    for (const s of sends) {
      if (s.restart || next > leaderLog.length + 1) next = 1 + (s.at % (leaderLog.length + 1));
      const prev = next - 1;
      const ents = leaderLog.slice(prev, Math.min(leaderLog.length, prev + s.count));
      commit = Math.min(leaderLog.length, commit + s.commitStep);
      msgs.push({ type: 'MsgApp', from: 1, to: 2, term: LEADER_TERM, index: prev, logTerm: leaderLog[prev - 1]?.term ?? 0, entries: ents, commit });
      next = prev + ents.length + 1;
    }
    return { followerLog, msgs };
  });

describe('coalesceMessages', () => {
  it('a follower stepping the merged MsgApps ends where stepping every original leaves it', () => {
    fc.assert(
      fc.property(scenario, fc.constantFrom(1, 64, 1 << 20), ({ followerLog, msgs }, maxSize) => {
        const merged = coalesceMessages([...msgs], maxSize);
        expect(merged.length).toBeLessThanOrEqual(msgs.length);
        const a = outcome(followerLog, msgs);
        const b = outcome(followerLog, merged);
        expect(b.terms).toEqual(a.terms);
        expect(b.commit).toBe(a.commit);
        expect(b.furthestAck).toBe(a.furthestAck);
      }),
      { numRuns: 400 },
    );
  });

  it('merges a leader burst into one MsgApp per peer, and a follower acks it once', () => {
    const app = (index: number, n: number, commit: number): MsgApp => ({
      type: 'MsgApp', from: 1, to: 2, term: 5, index, logTerm: 5,
      entries: Array.from({ length: n }, (_, j) => entry(index + j + 1, 5)), commit,
    });
    const toThree = { ...app(0, 1, 0), to: 3 };
    const out = coalesceMessages([app(0, 1, 0), toThree, app(1, 2, 0), app(3, 0, 2), app(3, 1, 2)], 1 << 20);
    expect(out.map((m) => m.to)).toEqual([2, 3]);
    const first = out[0] as MsgApp;
    expect(first.entries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(first.commit).toBe(2);
    // A gap (a restart after rejection) stays a separate message, as does a different term.
    expect(coalesceMessages([app(0, 1, 0), app(5, 1, 0)], 1 << 20)).toHaveLength(2);
    expect(coalesceMessages([app(0, 1, 0), { ...app(1, 1, 0), term: 6 }], 1 << 20)).toHaveLength(2);
    // Too big together: two messages.
    expect(coalesceMessages([app(0, 3, 0), app(3, 3, 0)], 40)).toHaveLength(2);

    const ack = (index: number, reject = false): Message => ({ type: 'MsgAppResp', from: 2, to: 1, term: 5, index, reject, rejectHint: 0, logTerm: 0 });
    expect(coalesceMessages([ack(3), ack(5), ack(7)], 1)).toEqual([ack(7)]);
    // A rejection, or an ack that reaches less far, is kept.
    expect(coalesceMessages([ack(3), ack(4, true), ack(7)], 1)).toEqual([ack(3), ack(4, true), ack(7)]);
    expect(coalesceMessages([ack(7), ack(5)], 1)).toEqual([ack(7), ack(5)]);
  });

  it("never appends into an entries array the log may still hold", () => {
    const shared = [entry(1, 5)];
    const a: MsgApp = { type: 'MsgApp', from: 1, to: 2, term: 5, index: 0, logTerm: 0, entries: shared, commit: 0 };
    const b: MsgApp = { ...a, index: 1, logTerm: 5, entries: [entry(2, 5)] };
    const c: MsgApp = { ...a, index: 2, logTerm: 5, entries: [entry(3, 5)] };
    const [merged] = coalesceMessages([a, b, c], 1 << 20) as [MsgApp];
    expect(merged.entries.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(shared).toHaveLength(1);
  });

  it('a leader taking proposals one by one sends each follower one MsgApp per Ready when on', () => {
    for (const coalesce of [false, true]) {
      const storage = new MemoryStorage({ confState: confStateOf([1, 2, 3]) });
      const rn = new RawNode({ id: 1, electionTick: 10, heartbeatTick: 1, storage, rng: new SeededRng(7), coalesceMessages: coalesce });
      rn.campaign();
      let rd = rn.ready();
      storage.setHardState(rd.hardState ?? storage.initialState().hardState);
      rn.advance(rd);
      for (const from of [2, 3]) rn.step({ type: 'MsgPreVoteResp', from, to: 1, term: 1, reject: false });
      rd = rn.ready();
      storage.setHardState(rd.hardState ?? storage.initialState().hardState);
      rn.advance(rd);
      for (const from of [2, 3]) rn.step({ type: 'MsgVoteResp', from, to: 1, term: 1, reject: false });
      expect(rn.raft.state).toBe('leader');
      rd = rn.ready();
      storage.append(rd.entries);
      rn.advance(rd);
      // Followers ack the leader's empty entry: out of probe, into replicate (no pause).
      const last = rn.raft.log.lastIndex();
      for (const from of [2, 3]) rn.step({ type: 'MsgAppResp', from, to: 1, term: 1, index: last, reject: false, rejectHint: 0, logTerm: 0 });
      rd = rn.ready();
      storage.append(rd.entries);
      rn.advance(rd);
      for (let i = 0; i < 10; i++) rn.propose(new Uint8Array([i]));
      rd = rn.ready();
      const apps = rd.messages.filter((m) => m.type === 'MsgApp');
      expect(apps.length).toBe(coalesce ? 2 : 20);
    }
  });
});
