/** Regression tests named after the items of shared/reference/raft-pitfalls.md. */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/messages.js';
import type { Ready } from '../../src/raft/ready.js';
import { newStorage, te, TestNode } from './harness.js';
import { app, appResp, ent, hup, ofType, vote } from './msgs.js';
import { Network } from './network.js';

describe('raft pitfalls', () => {
  it('pitfall 1: figure-8 — an old-term entry stored on a majority is not committed until a current-term entry is', () => {
    // One entry per MsgApp so the old-term entry can reach a majority alone.
    const net = new Network([1, 2, 3, 4, 5], { preVote: false, checkQuorum: false, maxSizePerMsg: 1 });
    const s1 = net.node(1);
    // (a) S1 leads term 1 and gets entry 2 ("x", term 1) only onto S2.
    net.campaign(1);
    for (const id of [3, 4, 5]) net.cut(1, id);
    net.propose(1, 'x');
    expect(net.node(2).raft.log.term(2)).toBe(1);
    expect(s1.raft.log.committed).toBe(1);
    // (b) S1 is cut off (it will restart below); S5 wins term 2 with S3 and S4, appends its no-op at index 2, but
    // none of its appends get out.
    net.recover();
    net.isolate(1);
    net.cut(2, 5);
    net.ignore('MsgApp');
    net.campaign(5);
    expect(net.node(5).raft.state).toBe('leader');
    expect(net.node(5).raft.log.term(2)).toBe(2);
    // (c) S5 "crashes"; S1 comes back and wins term 3 (S2, S3, S4 vote), then replicates the
    // term-1 entry "x" to S3: it is stored on S1, S2, S3 — a majority — but must not count.
    net.recover();
    net.isolate(5);
    net.restart(1);
    let sawMajorityUncommitted = false;
    net.afterDeliver = () => {
      const holders = [1, 2, 3, 4, 5].filter((id) => net.node(id).raft.log.term(2) === 1).length;
      const c = s1.raft.log.committed;
      if (holders >= 3 && c < 2) sawMajorityUncommitted = true;
      // The invariant: S1 never reports index 2 committed unless its term-3 no-op (index 3) is.
      expect(c === 2, 'term-1 entry committed by counting replicas').toBe(false);
    };
    // S1 missed term 2: its first campaign (term 2) fails on S3/S4's votes for S5, the
    // second (term 3) wins.
    net.campaign(1);
    if (s1.raft.state !== 'leader') net.campaign(1);
    expect(s1.raft.state).toBe('leader');
    expect(s1.raft.term).toBe(3);
    expect(sawMajorityUncommitted).toBe(true);
    // (e) Once the term-3 no-op is on a majority both commit together.
    expect(s1.raft.log.committed).toBe(3);
    expect(s1.appliedData()).toEqual(['x']);
    // Every node holds the same committed prefix, never S5's term-2 entry.
    for (const id of [1, 2, 3, 4]) {
      expect(net.node(id).storage.entries(1, 4, Infinity).map((e) => e.term), `S${id}`).toEqual([1, 1, 3]);
    }
  });

  it('pitfall 2: term and vote are persisted before the vote reply is sent — at most one vote per term across crashes', () => {
    const granted = new Map<number, Set<number>>(); // term → candidates granted (replies actually sent)
    const n = new TestNode(3, newStorage([1, 2, 3]), { preVote: false });
    const sendReady = (rd: Ready): void => {
      for (const m of ofType(rd.messages, 'MsgVoteResp')) {
        if (m.reject) continue;
        // The vote is durable before the reply leaves: in this (synced) Ready, or already stored.
        const durable = rd.hardState ?? n.storage.initialState().hardState;
        expect(durable.vote).toBe(m.to);
        expect(durable.term).toBe(m.term);
        if (rd.hardState) expect(rd.mustSync).toBe(true);
        const set = granted.get(m.term) ?? new Set<number>();
        set.add(m.to);
        granted.set(m.term, set);
      }
      n.handleReady(rd);
    };
    // Vote for 1 decided in memory, then a crash before the Ready is persisted: no reply left.
    n.step(vote(1, 3, 2, 0, 0));
    n.rn.ready();
    n.restart();
    expect(n.raft.term).toBe(0);
    // After the restart the vote is free: granting 2 is fine, the reply to 1 never went out.
    n.step(vote(2, 3, 2, 0, 0));
    sendReady(n.rn.ready());
    // Crash after persisting: the vote survives and 1 is refused, in every order.
    n.restart();
    expect(n.raft.vote).toBe(2);
    n.step(vote(1, 3, 2, 0, 0));
    n.step(vote(2, 3, 2, 0, 0));
    sendReady(n.rn.ready());
    n.restart();
    n.step(vote(1, 3, 2, 5, 5));
    sendReady(n.rn.ready());
    expect([...(granted.get(2) ?? [])]).toEqual([2]);
  });

  it('pitfall 4: delayed and duplicated messages from older terms never move progress, votes or logs', () => {
    const net = new Network([1, 2, 3], { preVote: false, checkQuorum: false, netSeed: 7 });
    net.duplicateRate = 0.3;
    net.reorderRate = 0.3;
    net.campaign(1);
    for (let i = 0; i < 5; i++) net.propose(1, `t1-${i}`);
    // Only what crossed the network (local messages have term 0).
    const old = net.delivered.filter((m) => m.term > 0);
    // Term 2: node 2 leads and appends on top of the committed term-1 entries.
    net.campaign(2);
    for (let i = 0; i < 3; i++) net.propose(2, `t2-${i}`);
    const leader = net.node(2);
    const logs = [1, 2, 3].map((id) => net.node(id).storage.lastIndex());
    const commits = [1, 2, 3].map((id) => net.node(id).raft.log.committed);
    const matches = [1, 3].map((id) => leader.raft.trk.progress.get(id)?.match);
    // Replay every term-1 message (twice) to every node, as a reordering network might.
    net.recover();
    for (const m of [...old, ...old]) {
      for (const to of [1, 2, 3]) net.send({ ...m, to } as Message);
    }
    expect(leader.raft.state).toBe('leader');
    const term = leader.raft.term;
    expect(term).toBeGreaterThan(1);
    expect([1, 2, 3].map((id) => net.node(id).raft.term)).toEqual([term, term, term]);
    expect([1, 2, 3].map((id) => net.node(id).storage.lastIndex())).toEqual(logs);
    expect([1, 2, 3].map((id) => net.node(id).raft.log.committed)).toEqual(commits);
    expect([1, 3].map((id) => leader.raft.trk.progress.get(id)?.match)).toEqual(matches);
    for (const id of [1, 3]) {
      expect(leader.raft.trk.progress.get(id)?.match ?? 0).toBeLessThanOrEqual(net.node(id).storage.lastIndex());
    }
    expect(net.node(3).appliedData()).toEqual([0, 1, 2, 3, 4].map((i) => `t1-${i}`).concat(['t2-0', 't2-1', 't2-2']));
  });

  it('pitfall 5: a duplicated or reordered AppendEntries that matches never truncates later entries', () => {
    const n = new TestNode(2, newStorage([1, 2, 3]), { preVote: false });
    const newer = app(1, 2, 1, 0, 0, [ent(1, 1, 'a'), ent(1, 2, 'b'), ent(1, 3, 'c')], 2);
    const older = app(1, 2, 1, 0, 0, [ent(1, 1, 'a')], 1);
    const middle = app(1, 2, 1, 1, 1, [ent(1, 2, 'b')], 1);
    n.step(newer);
    n.process();
    n.step(older);
    n.step(middle);
    const resps = ofType(n.process(), 'MsgAppResp');
    // They are acknowledged for what they verified, nothing is lost.
    // (etcd: a MsgApp below our commit index is answered with the commit index.)
    expect(resps.map((m) => [m.index, m.reject])).toEqual([[2, false], [2, false]]);
    expect(n.storage.lastIndex()).toBe(3);
    expect(n.raft.log.committed).toBe(2);
    expect(n.appliedData()).toEqual(['a', 'b']);
    // A real conflict (index 3 with a higher term) does truncate the uncommitted suffix.
    n.step(app(1, 2, 2, 2, 1, [ent(2, 3, 'c2')], 2));
    n.process();
    expect(n.storage.entries(3, 4, Infinity)[0]?.term).toBe(2);
  });

  it('pitfall 6: a follower commits min(leaderCommit, last index verified by this message)', () => {
    const n = new TestNode(2, newStorage([1, 2, 3]), { preVote: false });
    // Entries 2 and 3 from a term-1 leader that never committed them.
    n.step(app(1, 2, 1, 0, 0, [ent(1, 1, 'a'), ent(1, 2, 'stale'), ent(1, 3, 'stale')], 1));
    n.process();
    // The term-2 leader has committed up to 5 but this message only verifies index 1.
    n.step(app(3, 2, 2, 1, 1, [], 5));
    expect(n.raft.log.committed).toBe(1);
    const resp = ofType(n.process(), 'MsgAppResp');
    expect(resp[0]?.index).toBe(1);
    // One new entry verified: commit moves exactly to it, never into the stale tail.
    n.step(app(3, 2, 2, 1, 1, [ent(2, 2, 'new')], 5));
    n.process();
    expect(n.raft.log.committed).toBe(2);
    expect(n.appliedData()).toEqual(['a', 'new']);
    expect(n.storage.lastIndex()).toBe(2);
  });

  it('pitfall 7: a single-node cluster commits nothing before it is durable; a crash loses nothing acknowledged', () => {
    const n = new TestNode(1, newStorage([1]));
    n.step(hup(1));
    n.process();
    expect(n.raft.state).toBe('leader');
    n.rn.propose(te.encode('x'));
    const rd = n.rn.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([2]);
    expect(rd.committedEntries.map((e) => e.index)).not.toContain(2);
    expect(rd.hardState?.commit ?? n.storage.initialState().hardState.commit).toBeLessThan(2);
    // Crash before persisting: "x" is gone, but nobody was ever told it committed.
    n.restart();
    expect(n.storage.lastIndex()).toBe(1);
    expect(n.appliedData()).toEqual([]);
    n.step(hup(1));
    n.process();
    n.rn.propose(te.encode('y'));
    const rd2 = n.rn.ready();
    expect(rd2.committedEntries.some((e) => te.encode('y').join() === e.data.join())).toBe(false);
    n.handleReady(rd2);
    // Committed only in the Ready after the entry was persisted.
    n.process();
    expect(n.appliedData()).toEqual(['y']);
    // Crash after the acknowledgement: the entry survives and is applied again on restart.
    n.restart();
    n.process();
    expect(n.storage.entries(1, n.storage.lastIndex() + 1, Infinity).some((e) => new TextDecoder().decode(e.data) === 'y')).toBe(true);
    expect(n.appliedData()).toEqual(['y', 'y']);
  });

  it("pitfall 7: the leader's own entry counts toward the quorum only once it is durable", () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    const leader = net.node(1);
    leader.rn.propose(te.encode('z'));
    // The leader sends its MsgApp before its own write finished (a pipelined server might).
    const rd = leader.rn.ready();
    const follower = net.node(2);
    for (const m of rd.messages.filter((m) => m.to === 2)) follower.step(m);
    for (const m of follower.process().filter((m) => m.to === 1)) leader.step(m);
    // One follower acked, the leader has not persisted: 1 of 3 durable copies.
    expect(leader.raft.log.committed).toBe(1);
    leader.handleReady(rd);
    expect(leader.raft.log.committed).toBe(2);
  });

  it('pitfall 8: a new leader serves ReadIndex only after its no-op commits, at an index ≥ the no-op', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.propose(1, 'a');
    // Leadership moves to 3, whose no-op (index 3) cannot commit yet.
    net.ignore('MsgAppResp');
    net.node(1).rn.transferLeader(3);
    net.send();
    const leader = net.node(3);
    expect(leader.raft.state).toBe('leader');
    expect(leader.raft.log.committed).toBe(2);
    leader.rn.readIndex(te.encode('r'));
    net.tick(3, 3);
    expect(leader.readStates).toEqual([]);
    net.recover();
    net.tick(3, 1);
    expect(leader.readStates).toHaveLength(1);
    const idx = leader.readStates[0]?.index ?? 0;
    expect(idx).toBeGreaterThanOrEqual(3);
    // Applied has reached it, so serving the read locally now is linearizable.
    expect(leader.applied.at(-1)?.index).toBeGreaterThanOrEqual(idx);
  });

  describe('pitfall 11: PreVote details', () => {
    it('pitfall 11: pre-candidates do not bump their term and forget the leader', () => {
      const net = new Network([1, 2, 3]);
      net.campaign(1);
      net.isolate(2);
      net.node(2).rn.campaign();
      expect(net.node(2).raft.state).toBe('preCandidate');
      expect(net.node(2).raft.term).toBe(1);
      expect(net.node(2).raft.lead).toBe(0);
      expect(net.node(2).process().some((m) => m.type === 'MsgPreVote' && m.term === 2)).toBe(true);
      expect(net.node(2).storage.initialState().hardState.term).toBe(1);
    });

    it('pitfall 11: voters that heard from a leader recently ignore pre-votes', () => {
      const net = new Network([1, 2, 3]);
      net.campaign(1);
      const n3 = net.node(3);
      n3.step(vote(2, 3, 2, 10, 1, true));
      expect(n3.process().filter((m) => m.type === 'MsgPreVoteResp')).toEqual([]);
      // After an election timeout without the leader, the same pre-vote is granted.
      for (let i = 0; i < 10; i++) n3.rn.tick();
      n3.process();
      n3.step(vote(2, 3, 2, 10, 1, true));
      const resp = ofType(n3.process(), 'MsgPreVoteResp');
      expect(resp.map((m) => [m.term, m.reject])).toEqual([[2, false]]);
      expect(n3.raft.term).toBe(1);
    });

    it('pitfall 11: a pre-vote from a lower term is answered with our term so the laggard catches up', () => {
      const n = new TestNode(1, newStorage([1, 2, 3]));
      n.storage.setHardState({ term: 5, vote: 0, commit: 0 });
      n.restart();
      n.step(vote(2, 1, 3, 0, 0, true));
      const resp = ofType(n.process(), 'MsgPreVoteResp');
      expect(resp.map((m) => [m.term, m.reject])).toEqual([[5, true]]);
      // The laggard adopts term 5 from the rejection.
      const laggard = new TestNode(2, newStorage([1, 2, 3]));
      laggard.storage.setHardState({ term: 2, vote: 0, commit: 0 });
      laggard.restart();
      laggard.step(hup(2));
      laggard.step(resp[0] as Message);
      expect(laggard.raft.term).toBe(5);
      expect(laggard.raft.state).toBe('follower');
    });

    it('pitfall 11: mixed mode — a node without PreVote rejoining does not wedge the cluster', () => {
      const net = new Network([1, 2, 3], { perNode: { 3: { preVote: false } } });
      net.campaign(1);
      net.isolate(3);
      net.tick(3, 60);
      expect(net.node(3).raft.term).toBeGreaterThan(2);
      net.recover();
      net.tickAll(100);
      const lead = net.leader();
      expect(lead).toBeDefined();
      const term = net.node(lead as number).raft.term;
      expect([1, 2, 3].map((id) => net.node(id).raft.term)).toEqual([term, term, term]);
      net.propose(lead as number, 'after');
      for (const id of [1, 2, 3]) expect(net.node(id).appliedData()).toContain('after');
    });
  });

  describe('pitfall 20: flow control and probing', () => {
    it('pitfall 20: optimistic sends stop when the window is full and resume on a heartbeat response', () => {
      const net = new Network([1, 2], { maxInflightMsgs: 3, maxSizePerMsg: 1 });
      net.campaign(1);
      net.isolate(2);
      const leader = net.node(1);
      for (let i = 0; i < 10; i++) leader.rn.propose(te.encode(`${i}`));
      expect(ofType(leader.process(), 'MsgApp').filter((m) => m.to === 2 && m.entries.length > 0)).toHaveLength(3);
      // All three were lost. A heartbeat response gets an (empty) MsgApp out despite the full
      // window; its rejection resets the window and replication restarts from the match point.
      net.recover();
      net.tick(1, 1);
      expect(net.node(2).appliedData()).toEqual(Array.from({ length: 10 }, (_, i) => `${i}`));
      expect(leader.raft.trk.progress.get(2)?.state).toBe('replicate');
    });

    it('pitfall 20: many inconsistent entries are skipped a term at a time, not an entry at a time', () => {
      const net = new Network([1, 2, 3]);
      net.campaign(1);
      // Node 1 accumulates 300 uncommitted entries over 3 terms while isolated from 2 and 3.
      for (let round = 0; round < 3; round++) {
        net.isolate(1);
        for (let i = 0; i < 100; i++) net.node(1).rn.propose(te.encode(`lost-${round}-${i}`));
        net.node(1).process();
        if (round < 2) {
          // It steps down and gets re-elected by 2 and 3 without getting them the tail.
          net.recover();
          net.ignore('MsgApp');
          net.node(1).raft.becomeFollower(net.node(1).raft.term, 0);
          net.node(2).rn.forgetLeader();
          net.node(3).rn.forgetLeader();
          net.campaign(1);
          expect(net.node(1).raft.state).toBe('leader');
          net.recover();
        }
      }
      // Meanwhile 2 leads a later term and commits new entries with 3.
      net.recover();
      net.isolate(1);
      net.node(2).rn.forgetLeader();
      net.node(3).rn.forgetLeader();
      net.campaign(2);
      expect(net.node(2).raft.state).toBe('leader');
      net.propose(2, 'winner');
      net.recover();
      const start = net.delivered.length;
      net.tick(2, 1);
      const rejects = net.delivered.slice(start).filter((m) => m.type === 'MsgAppResp' && m.reject);
      expect(rejects.length).toBeLessThanOrEqual(4);
      expect(net.node(1).appliedData().at(-1)).toBe('winner');
      expect(net.node(1).storage.lastIndex()).toBe(net.node(2).storage.lastIndex());
    });
  });
});
