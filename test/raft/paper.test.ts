/**
 * One test per rule of Raft §5 (Ongaro & Ousterhout), after etcd-io/raft raft_paper_test.go.
 * PreVote and CheckQuorum are off here: these are the paper's rules.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/messages.js';
import type { Entry, NodeId } from '../../src/raft/types.js';
import { newStorage, TestNode, type NodeOptions } from './harness.js';
import { app, appResp, beat, ent, entsWithTerms, hb, hup, ofType, prop, vote, voteResp } from './msgs.js';
import { Network } from './network.js';

const paper: NodeOptions = { preVote: false, checkQuorum: false };

function node(id: NodeId, peers: NodeId[], log: Entry[] = [], term = 0, opts: NodeOptions = {}): TestNode {
  const s = newStorage(peers);
  s.append(log);
  if (term > 0 || log.length > 0) s.setHardState({ term, vote: 0, commit: 0 });
  return new TestNode(id, s, { ...paper, ...opts });
}

/** Drives a node through an election it wins with votes from `voters`. */
function makeLeader(n: TestNode, voters: NodeId[]): Message[] {
  n.step(hup(n.id));
  n.process();
  for (const v of voters) n.step(voteResp(v, n.id, n.raft.term));
  expect(n.raft.state).toBe('leader');
  return n.process();
}

describe('§5.1 terms', () => {
  for (const state of ['follower', 'candidate', 'leader'] as const) {
    it(`a ${state} seeing a higher term adopts it and becomes follower`, () => {
      const n = node(1, [1, 2, 3]);
      if (state === 'candidate') n.step(hup(1));
      if (state === 'leader') makeLeader(n, [2]);
      n.process();
      n.step(app(2, 1, 5, 0, 0));
      expect(n.raft.term).toBe(5);
      expect(n.raft.state).toBe('follower');
      expect(n.raft.lead).toBe(2);
    });
  }

  it('rejects (ignores) a request with a stale term', () => {
    const n = node(1, [1, 2, 3], [], 2);
    n.process();
    const before = n.raft.log.lastIndex();
    n.step(app(2, 1, 1, 0, 0, [ent(1, 1, 'x')], 1));
    expect(n.raft.log.lastIndex()).toBe(before);
    expect(n.raft.term).toBe(2);
    expect(n.raft.lead).toBe(0);
  });

  it('starts as a follower', () => {
    expect(node(1, [1, 2, 3]).raft.state).toBe('follower');
  });
});

describe('§5.2 leader election', () => {
  it('a leader sends heartbeats every heartbeat timeout', () => {
    const n = node(1, [1, 2, 3], [], 0, { heartbeatTick: 1 });
    makeLeader(n, [2]);
    n.rn.tick();
    const hbs = ofType(n.process(), 'MsgHeartbeat');
    expect(hbs.map((m) => m.to).sort()).toEqual([2, 3]);
    expect(hbs.every((m) => m.term === n.raft.term)).toBe(true);
  });

  for (const state of ['follower', 'candidate'] as const) {
    it(`a ${state} whose election timeout elapses starts an election: term+1, votes for itself, asks everyone`, () => {
      const n = node(1, [1, 2, 3]);
      if (state === 'candidate') {
        n.step(hup(1));
        n.process();
      }
      const term = n.raft.term;
      for (let i = 0; i < 2 * 10; i++) n.rn.tick();
      expect(n.raft.state).toBe('candidate');
      expect(n.raft.term).toBe(term + 1);
      expect(n.raft.vote).toBe(1);
      const votes = ofType(n.process(), 'MsgVote');
      expect(votes.map((m) => m.to).sort()).toEqual([2, 3]);
      expect(votes.every((m) => m.term === term + 1)).toBe(true);
    });
  }

  it('wins in one round with a majority, loses with a majority of rejections, else stays candidate', () => {
    const cases: Array<[number, Record<number, boolean>, string]> = [
      [1, {}, 'leader'],
      [3, { 2: true, 3: true }, 'leader'],
      [3, { 2: true }, 'leader'],
      [5, { 2: true, 3: true, 4: true, 5: true }, 'leader'],
      [5, { 2: true, 3: true, 4: true }, 'leader'],
      [5, { 2: true, 3: true }, 'leader'],
      [3, { 2: false, 3: false }, 'follower'],
      [5, { 2: false, 3: false, 4: false, 5: false }, 'follower'],
      [5, { 2: true, 3: false, 4: false, 5: false }, 'follower'],
      [3, {}, 'candidate'],
      [5, { 2: true }, 'candidate'],
      [5, { 2: false, 3: false }, 'candidate'],
      [5, {}, 'candidate'],
    ];
    for (const [size, votes, want] of cases) {
      const ids = Array.from({ length: size }, (_, i) => i + 1);
      const n = node(1, ids);
      n.step(hup(1));
      for (const [id, granted] of Object.entries(votes)) n.step(voteResp(Number(id), 1, n.raft.term, !granted));
      expect(n.raft.state, `size ${size} votes ${JSON.stringify(votes)}`).toBe(want);
      expect(n.raft.term).toBe(1);
    }
  });

  it('a follower votes at most once per term, first come first served', () => {
    const cases: Array<[number, boolean]> = [
      [0, false], // no vote yet: grant to 1
      [1, false], // already voted for 1: repeat grant
      [2, true], // voted for 2: reject 1... (ask from 1)
    ];
    for (const [voted, reject] of cases) {
      const s = newStorage([1, 2, 3]);
      s.setHardState({ term: 1, vote: voted, commit: 0 });
      const n = new TestNode(3, s, paper);
      n.step(vote(1, 3, 1, 0, 0));
      const resp = ofType(n.process(), 'MsgVoteResp');
      expect(resp).toHaveLength(1);
      expect(resp[0]?.reject).toBe(reject);
    }
  });

  it('a candidate that hears from a leader of its term (or later) falls back to follower', () => {
    for (const term of [1, 2]) {
      const n = node(1, [1, 2, 3]);
      n.step(hup(1));
      expect(n.raft.state).toBe('candidate');
      n.step(app(2, 1, term, 0, 0));
      expect(n.raft.state).toBe('follower');
      expect(n.raft.term).toBe(term);
    }
  });

  for (const state of ['follower', 'candidate'] as const) {
    it(`${state} election timeouts are randomized over [et, 2et)`, () => {
      const seen = new Set<number>();
      for (let seed = 0; seed < 200; seed++) {
        const n = node(1, [1, 2, 3], [], 1, { seed });
        if (state === 'candidate') n.step(hup(1));
        const term = n.raft.term;
        let ticks = 0;
        while (n.raft.term === term) {
          n.rn.tick();
          ticks++;
        }
        seen.add(ticks);
      }
      expect(Math.min(...seen)).toBe(10);
      expect(Math.max(...seen)).toBe(19);
      expect(seen.size).toBe(10);
    });
  }

  it('randomized timeouts mostly keep followers from timing out together', () => {
    let conflicts = 0;
    for (let round = 0; round < 100; round++) {
      const nodes = [1, 2, 3, 4, 5].map((id) => node(id, [1, 2, 3, 4, 5], [], 1, { seed: round * 10 + id }));
      let fired: number[] = [];
      while (fired.length === 0) {
        for (const n of nodes) n.rn.tick();
        fired = nodes.filter((n) => n.raft.state === 'candidate').map((n) => n.id);
      }
      if (fired.length > 1) conflicts++;
    }
    expect(conflicts).toBeLessThan(30);
  });
});

describe('§5.3 log replication', () => {
  it('the leader appends a proposal and sends it in MsgApp with prev (index, term) and commit', () => {
    const n = node(1, [1, 2, 3]);
    makeLeader(n, [2]);
    // Everyone acks the no-op so that it commits.
    for (const f of [2, 3]) n.step(appResp(f, 1, 1, 1));
    n.process();
    n.step(prop(1, 'some data'));
    const apps = ofType(n.process(), 'MsgApp');
    expect(apps.map((m) => m.to).sort()).toEqual([2, 3]);
    for (const m of apps) {
      expect(m.index).toBe(1);
      expect(m.logTerm).toBe(1);
      expect(m.commit).toBe(1);
      expect(m.entries).toEqual([ent(1, 2, 'some data')]);
    }
    expect(n.storage.lastIndex()).toBe(2);
  });

  it('an entry is committed once a majority stored it, then applied and its commit index sent out', () => {
    const n = node(1, [1, 2, 3]);
    makeLeader(n, [2]);
    // Both followers took the no-op, so both are in the replicate state.
    for (const f of [2, 3]) n.step(appResp(f, 1, 1, 1));
    n.process();
    n.step(prop(1, 'x'));
    n.process();
    expect(n.raft.log.committed).toBe(1);
    n.step(appResp(2, 1, 1, 2));
    const msgs = n.process();
    expect(n.raft.log.committed).toBe(2);
    expect(n.appliedData()).toEqual(['x']);
    const apps = ofType(msgs, 'MsgApp');
    expect(apps.map((m) => m.to).sort()).toEqual([2, 3]);
    expect(apps.every((m) => m.commit === 2)).toBe(true);
  });

  it('the leader acknowledges commit only with a quorum of acks', () => {
    const cases: Array<[number, number[], boolean]> = [
      [1, [], true],
      [3, [], false],
      [3, [2], true],
      [3, [2, 3], true],
      [5, [], false],
      [5, [2], false],
      [5, [2, 3], true],
      [5, [2, 3, 4], true],
    ];
    for (const [size, acks, committed] of cases) {
      const ids = Array.from({ length: size }, (_, i) => i + 1);
      const n = node(1, ids);
      n.step(hup(1));
      for (const v of ids.slice(1)) n.step(voteResp(v, 1, 1));
      n.process();
      n.step(prop(1, 'x'));
      n.process();
      for (const a of acks) n.step(appResp(a, 1, 1, 2));
      n.process();
      expect(n.raft.log.committed >= 2, `size ${size} acks ${acks}`).toBe(committed);
    }
  });

  it('committing an entry commits all preceding entries, including earlier terms', () => {
    const n = node(1, [1, 2, 3], [ent(2, 1, 'a'), ent(2, 2, 'b')], 2);
    n.step(hup(1));
    n.step(voteResp(2, 1, 3));
    n.process();
    n.step(prop(1, 'c'));
    n.process();
    n.step(appResp(2, 1, 3, 4));
    n.process();
    expect(n.raft.log.committed).toBe(4);
    expect(n.appliedData()).toEqual(['a', 'b', 'c']);
  });

  it('a follower commits (and applies) up to the leader commit it learns', () => {
    const cases: Array<[Entry[], number]> = [
      [[ent(1, 1, 'a')], 1],
      [[ent(1, 1, 'a'), ent(1, 2, 'b')], 2],
      [[ent(1, 1, 'a'), ent(1, 2, 'b')], 1],
    ];
    for (const [ents, commit] of cases) {
      const n = node(1, [1, 2, 3], [], 1);
      n.step(app(2, 1, 1, 0, 0, ents, commit));
      n.process();
      expect(n.raft.log.committed).toBe(commit);
      expect(n.applied.map((e) => e.index)).toEqual(ents.slice(0, commit).map((e) => e.index));
    }
  });

  it('a follower rejects MsgApp whose prev entry it does not hold with that term', () => {
    const log = [ent(1, 1), ent(2, 2)];
    const cases: Array<[number, number, boolean, number]> = [
      // (prev term, prev index) → reject? and the index in the response
      [0, 0, false, 0],
      [1, 1, false, 1],
      [2, 2, false, 2],
      [1, 2, true, 2],
      [3, 3, true, 3],
    ];
    for (const [logTerm, index, reject, respIndex] of cases) {
      const n = node(1, [1, 2, 3], log, 2);
      n.step(app(2, 1, 2, index, logTerm, [], 1));
      const resp = ofType(n.process(), 'MsgAppResp');
      expect(resp).toHaveLength(1);
      expect(resp[0]?.reject, `prev ${logTerm}/${index}`).toBe(reject);
      expect(resp[0]?.index).toBe(respIndex);
    }
  });

  it('a follower deletes a conflicting suffix and appends, keeping everything that matches', () => {
    const cases: Array<[number, number, Entry[], number[]]> = [
      [2, 2, [ent(3, 3)], [1, 2, 3]],
      [1, 1, [ent(3, 2), ent(4, 3)], [1, 3, 4]],
      [0, 0, [ent(1, 1)], [1, 2]],
      [0, 0, [ent(3, 1)], [3]],
    ];
    for (const [index, logTerm, ents, terms] of cases) {
      const n = node(1, [1, 2, 3], [ent(1, 1), ent(2, 2)], 2);
      n.step(app(2, 1, 2, index, logTerm, ents));
      n.process();
      expect(n.storage.entries(1, n.storage.lastIndex() + 1, Infinity).map((e) => e.term)).toEqual(terms);
    }
  });

  it('the leader brings every Figure 7 follower log in sync with its own', () => {
    const leaderLog = entsWithTerms(1, 1, 1, 4, 4, 5, 5, 6, 6, 6);
    const followers = [
      entsWithTerms(1, 1, 1, 4, 4, 5, 5, 6, 6), // (a) missing one
      entsWithTerms(1, 1, 1, 4), // (b) missing many
      entsWithTerms(1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6), // (c) extra uncommitted entry
      entsWithTerms(1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7), // (d) extra entries of a later term
      entsWithTerms(1, 1, 1, 4, 4, 4, 4), // (e) divergent term-4 suffix
      entsWithTerms(1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3), // (f) divergent terms 2 and 3
    ];
    for (const [i, flog] of followers.entries()) {
      const lead = node(1, [1, 2, 3], leaderLog, 8);
      lead.storage.setHardState({ term: 8, vote: 0, commit: 10 });
      lead.restart();
      const follower = node(2, [1, 2, 3], flog, 7);
      const third = node(3, [1, 2, 3], [], 7);
      const net = new Network([1, 2, 3], paper);
      net.nodes.set(1, lead);
      net.nodes.set(2, follower);
      net.nodes.set(3, third);
      // Node 3 has an empty log, so it votes for 1 in term 9; node 2 may or may not.
      net.campaign(1);
      expect(lead.raft.state, `case ${i}`).toBe('leader');
      net.propose(1, 'sync');
      const want = lead.storage.entries(1, lead.storage.lastIndex() + 1, Infinity);
      expect(follower.storage.entries(1, follower.storage.lastIndex() + 1, Infinity), `case ${i}`).toEqual(want);
      expect(follower.raft.log.committed).toBe(lead.raft.log.committed);
    }
  });
});

describe('§5.4 safety', () => {
  it('vote requests carry the candidate last (index, term)', () => {
    for (const [ents, wterm] of [[[ent(1, 1), ent(1, 2)], 2], [[ent(1, 1), ent(2, 2)], 3]] as const) {
      const n = node(1, [1, 2, 3]);
      n.step(app(2, 1, wterm - 1, 0, 0, [...ents]));
      n.process();
      for (let i = 0; i < 2 * 10; i++) n.rn.tick();
      const votes = ofType(n.process(), 'MsgVote');
      expect(votes).toHaveLength(2);
      for (const m of votes) {
        expect(m.term).toBe(wterm);
        expect(m.index).toBe(2);
        expect(m.logTerm).toBe(ents[1]?.term);
      }
    }
  });

  it('a voter denies a candidate whose log is less up-to-date by (lastTerm, lastIndex)', () => {
    const cases: Array<[Entry[], number, number, boolean]> = [
      // same last term
      [[ent(1, 1)], 1, 1, false],
      [[ent(1, 1)], 1, 2, false],
      [[ent(1, 1), ent(1, 2)], 1, 1, true],
      // candidate higher last term
      [[ent(1, 1)], 2, 1, false],
      [[ent(1, 1)], 2, 2, false],
      [[ent(1, 1), ent(1, 2)], 2, 1, false],
      // voter higher last term
      [[ent(2, 1)], 1, 1, true],
      [[ent(2, 1)], 1, 2, true],
      [[ent(2, 1), ent(1, 2)], 1, 1, true],
    ];
    for (const [ents, logTerm, index, reject] of cases) {
      const n = node(1, [1, 2], ents, 2);
      n.step(vote(2, 1, 3, index, logTerm));
      const resp = ofType(n.process(), 'MsgVoteResp');
      expect(resp[0]?.reject, `voter ${JSON.stringify(ents.map((e) => e.term))} cand ${logTerm}/${index}`).toBe(reject);
    }
  });

  it('a leader only commits entries of its current term by counting replicas (Figure 8)', () => {
    const cases: Array<[number, number]> = [
      [1, 0], // ack of an old-term entry: nothing commits
      [2, 0],
      [3, 3], // ack of the current-term no-op: everything up to it commits
    ];
    for (const [index, wcommit] of cases) {
      const n = node(1, [1, 2], [ent(1, 1), ent(2, 2)], 2);
      n.step(hup(1));
      n.step(voteResp(2, 1, 3));
      n.process();
      n.step(appResp(2, 1, 3, index));
      n.process();
      expect(n.raft.log.committed, `ack ${index}`).toBe(wcommit);
    }
  });

  it('a leader broadcasts its commit index in heartbeats, never past what the follower holds', () => {
    const n = node(1, [1, 2, 3]);
    makeLeader(n, [2]);
    n.step(prop(1, 'x'));
    n.process();
    n.step(appResp(2, 1, 1, 2));
    n.process();
    n.step(beat(1));
    const hbs = ofType(n.process(), 'MsgHeartbeat');
    expect(hbs.find((m) => m.to === 2)?.commit).toBe(2);
    expect(hbs.find((m) => m.to === 3)?.commit).toBe(0);
  });

  it('a follower applies the commit index from a heartbeat', () => {
    const n = node(2, [1, 2, 3], [], 1);
    n.step(app(1, 2, 1, 0, 0, [ent(1, 1, 'a'), ent(1, 2, 'b')], 0));
    n.process();
    n.step(hb(1, 2, 1, 2));
    n.process();
    expect(n.appliedData()).toEqual(['a', 'b']);
  });
});
