/**
 * Pitfalls 12–18 of shared/reference/raft-pitfalls.md, each scripted on the simulator's
 * ScriptedCluster: every node persists through crashy storage and every step is checked for
 * Raft's safety properties and persist-before-reply, on top of the assertions below.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/messages.js';
import { decodeConfChange } from '../../src/raft/index.js';
import { isKvError } from '../../src/util/errors.js';
import { cc, ScriptedCluster } from '../sim/raft/scripted-cluster.js';

const QUIET = { preVote: false, checkQuorum: false };
const enc = new TextEncoder();

function confOf(c: ScriptedCluster, id: number) {
  return c.raw(id).status().config;
}

describe('pitfall 12: membership changes', () => {
  it('pitfall 12: one conf change pending at a time — a second one is refused until the first applies', () => {
    const c = new ScriptedCluster({ voters: [1, 2, 3], options: QUIET });
    c.elect(1);
    c.addBlank(4);
    c.addBlank(5);
    c.proposeConf(1, cc('auto', ['addLearnerNode', 4]), false);
    try {
      c.proposeConf(1, cc('auto', ['addLearnerNode', 5]), false);
    } catch (err) {
      if (!isKvError(err, 'ProposalDropped')) throw err;
    }
    c.deliverAll();
    c.tickAll(3);
    // Whether refused outright or appended as a no-op entry, node 5 never joined.
    expect(confOf(c, 1).learners).toEqual([4]);
    for (const id of [1, 2, 3]) expect(confOf(c, id).learners).toEqual([4]);
    const log = c.node(1).storage.memory;
    const confEntries = log.entries(log.firstIndex(), log.lastIndex() + 1, Infinity).filter((e) => e.type === 'confChangeV2' && e.term > 1);
    // Exactly one conf entry after bootstrap: the second proposal was refused or neutralised.
    expect(confEntries.length).toBe(1);
    // Once the first change applied, the next one goes through.
    c.proposeConf(1, cc('auto', ['addLearnerNode', 5]));
    c.tickAll(3);
    expect(confOf(c, 2).learners).toEqual([4, 5]);
  });

  it("pitfall 12: a new leader's conf change sits behind the first entry of its term, so it cannot commit before it", () => {
    const c = new ScriptedCluster({ voters: [1, 2, 3], options: QUIET });
    c.elect(1);
    c.propose(1, 'a');
    c.elect(2);
    const term = c.raw(2).status().hardState.term;
    c.addBlank(4);
    // Proposed the moment it won, before its no-op is known committed.
    try {
      c.proposeConf(2, cc('auto', ['addLearnerNode', 4]), false);
    } catch (err) {
      if (!isKvError(err, 'ProposalDropped')) throw err;
    }
    const log = c.node(2).storage.memory;
    const ents = log.entries(log.firstIndex(), log.lastIndex() + 1, Infinity);
    const firstOfTerm = ents.find((e) => e.term === term);
    const conf = ents.find((e) => e.term === term && e.type === 'confChangeV2');
    expect(firstOfTerm?.type).toBe('normal');
    if (conf !== undefined) expect(conf.index).toBeGreaterThan(firstOfTerm?.index ?? Infinity);
    c.deliverAll();
    c.tickAll(2);
  });

  it('pitfall 12: a conf change appended but truncated never takes effect anywhere (configs change on apply)', () => {
    const c = new ScriptedCluster({ voters: [1, 2, 3], options: QUIET });
    c.elect(1);
    c.addBlank(4);
    c.isolate(1);
    c.proposeConf(1, cc('auto', ['addNode', 4]));
    expect(confOf(c, 1).voters).toEqual([1, 2, 3]); // appended, not applied: no effect yet
    c.elect(2);
    c.propose(2, 'x');
    c.heal();
    c.tickAll(5);
    // Node 1's conf entry was overwritten by node 2's log; 4 never became a voter.
    for (const id of [1, 2, 3]) {
      expect(confOf(c, id).voters).toEqual([1, 2, 3]);
      const log = c.node(id).storage.memory;
      const ents = log.entries(log.firstIndex(), log.lastIndex() + 1, Infinity);
      expect(ents.some((e) => e.type === 'confChangeV2' && e.term > 1)).toBe(false);
    }
    expect(c.applied.get(1)).toContain('x');
  });

  it('pitfall 12: a removed leader steps down once its removal commits; the rest elect a leader and keep committing', () => {
    const c = new ScriptedCluster({ voters: [1, 2, 3], options: QUIET });
    c.elect(1);
    c.proposeConf(1, cc('auto', ['removeNode', 1]));
    c.tickAll(1);
    expect(c.node(1).isLeader).toBe(false);
    expect(confOf(c, 2).voters).toEqual([2, 3]);
    c.tickAll(40);
    const leader = c.leader();
    expect([2, 3]).toContain(leader);
    c.propose(leader, 'after-removal');
    c.tickAll(2);
    expect(c.applied.get(2)).toContain('after-removal');
    expect(c.applied.get(3)).toContain('after-removal');
  });
});

describe('pitfall 13: campaigning with unapplied conf changes', () => {
  it('pitfall 13: a node that has committed but not applied a conf change does not campaign', () => {
    const c = new ScriptedCluster({ voters: [1, 2, 3], options: QUIET });
    c.elect(1);
    c.addBlank(4);
    // Hold everything to node 2 so we can feed it by hand.
    c.filter = (m) => (m.to === 2 ? 'hold' : 'pass');
    c.proposeConf(1, cc('auto', ['addNode', 4]));
    c.tickAll(1); // node 1 commits with node 3; heartbeats carry the commit index
    const raw2 = c.raw(2);
    const host2 = c.node(2);
    for (const m of c.held.splice(0)) raw2.step(m);
    const rd = raw2.ready();
    expect(rd.committedEntries.some((e) => e.type === 'confChangeV2')).toBe(true);
    host2.storage.saveReady(rd.hardState, rd.entries, rd.snapshot, rd.mustSync);
    const termBefore = raw2.status().hardState.term;
    // Committed, not yet applied: a campaign (MsgHup) or an election timeout must not start one.
    raw2.campaign();
    for (let i = 0; i < 30; i++) raw2.tick();
    expect(raw2.status().softState.raftState).toBe('follower');
    expect(raw2.status().hardState.term).toBe(termBefore);
    // Apply and advance: now the same campaign goes ahead.
    for (const e of rd.committedEntries) if (e.type === 'confChangeV2') raw2.applyConfChange(decodeConfChange(e.data));
    raw2.advance(rd);
    raw2.campaign();
    expect(raw2.status().softState.raftState).toBe('candidate');
    expect(raw2.status().hardState.term).toBe(termBefore + 1);
  });
});

describe('pitfall 14: quorums with learners, in a cluster', () => {
  it('pitfall 14: learner acks never count toward commit, and never toward a ReadIndex quorum', () => {
    const c = new ScriptedCluster({ voters: [1, 2, 3], learners: [4, 5], options: QUIET });
    c.elect(1);
    c.isolate(2);
    c.isolate(3);
    c.propose(1, 'x');
    c.tickAll(3);
    // Node 1 plus two learners hold "x": three copies of five nodes, but one of three voters.
    expect(c.node(4).storage.memory.lastIndex()).toBe(c.node(1).storage.memory.lastIndex());
    expect(c.applied.get(1)).not.toContain('x');
    expect(c.applied.get(4)).not.toContain('x');
    c.raw(1).readIndex(enc.encode('read-1'));
    c.node(1).drain();
    c.tickAll(3);
    expect(c.raw(1).status().hardState.commit).toBeLessThan(c.node(1).storage.memory.lastIndex());
    expect(c.reads.has('read-1')).toBe(false); // learners' heartbeat acks do not confirm leadership
    c.heal();
    c.tickAll(3);
    for (const id of [1, 2, 3, 4, 5]) expect(c.applied.get(id)).toContain('x');
    c.raw(1).readIndex(enc.encode('read-2'));
    c.node(1).drain();
    c.tickAll(2);
    expect(c.reads.get('read-2')).toBe(c.raw(1).status().hardState.commit);
  });
});

describe('pitfall 15: snapshot races', () => {
  it('pitfall 15: a snapshot a follower already holds keeps its matching log suffix', () => {
    const c = new ScriptedCluster({ voters: [1, 2, 3], options: QUIET });
    c.elect(1);
    for (let i = 0; i < 6; i++) c.propose(1, `e${i}`);
    c.tickAll(1);
    const snapIdx = c.snapshot(1) - 2; // an older point both hold
    const snap = c.node(1).storage.memory.snapshot();
    const last2 = c.node(2).storage.memory.lastIndex();
    // A (duplicated, late) snapshot at or below what the follower holds must not wipe its log.
    const old = { ...snap, metadata: { ...snap.metadata } };
    const m: Message = { type: 'MsgSnap', from: 1, to: 2, term: c.raw(1).status().hardState.term, snapshot: old };
    c.deliver(m);
    c.deliverAll();
    expect(c.node(2).storage.memory.lastIndex()).toBe(last2);
    expect(c.raw(2).status().hardState.commit).toBeGreaterThanOrEqual(snapIdx);
    c.propose(1, 'after');
    c.tickAll(1);
    expect(c.applied.get(2)?.at(-1)).toBe('after');
  });

  it('pitfall 15: a new member restores its membership from the snapshot it installs', () => {
    const c = new ScriptedCluster({ voters: [1, 2, 3], options: QUIET });
    c.elect(1);
    for (let i = 0; i < 5; i++) c.propose(1, `e${i}`);
    c.addBlank(4);
    c.isolate(4);
    c.proposeConf(1, cc('auto', ['addLearnerNode', 4]));
    c.tickAll(1);
    // The leader's log no longer reaches back to index 1: node 4 needs a snapshot, and the
    // snapshot (taken after the change applied) is the only place it can learn the membership.
    c.snapshot(1);
    c.heal();
    c.tickAll(5);
    expect(c.sentOf('MsgSnap', 4).length).toBeGreaterThanOrEqual(1);
    expect(confOf(c, 4)).toEqual(confOf(c, 1));
    expect(confOf(c, 4).learners).toEqual([4]);
    expect(c.node(4).app.appliedIndex).toBe(c.node(1).app.appliedIndex);
  });

  it("pitfall 15: a snapshot at the leader's last index moves the follower straight to replicate (no probe loop)", () => {
    const c = new ScriptedCluster({ voters: [1, 2, 3], options: QUIET });
    c.elect(1);
    c.isolate(3);
    for (let i = 0; i < 8; i++) c.propose(1, `e${i}`);
    c.tickAll(1);
    const last = c.snapshot(1);
    expect(c.node(1).storage.memory.lastIndex()).toBe(last);
    c.heal();
    c.tickAll(3);
    const pr = c.raw(1).status().progress?.get(3);
    expect(pr?.state).toBe('replicate');
    expect(pr?.match).toBe(last);
    expect(c.sentOf('MsgSnap', 3).length).toBe(1);
    const appsBefore = c.sentOf('MsgApp', 3).length;
    c.propose(1, 'next');
    // The very next append continues right after the snapshot: no probing backwards.
    const next = c.sentOf('MsgApp', 3)[appsBefore];
    expect(next?.type === 'MsgApp' && next.index).toBe(last);
    expect(c.sentOf('MsgSnap', 3).length).toBe(1);
    expect(c.applied.get(3)?.at(-1)).toBe('next');
  });
});

describe('pitfall 16: log purge vs slow followers', () => {
  it('pitfall 16: a follower down across two snapshots catches up with one snapshot, without looping', () => {
    const c = new ScriptedCluster({ voters: [1, 2, 3], options: QUIET });
    c.elect(1);
    c.propose(1, 'before');
    c.crash(3);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 10; i++) c.propose(1, `r${round}-${i}`);
      c.tickAll(1);
      c.snapshot(1, c.node(1).app.appliedIndex - 2); // keep a short tail, like etcd's catch-up entries
      c.snapshot(2);
    }
    c.restart(3);
    c.tickAll(10);
    expect(c.node(3).app.appliedIndex).toBe(c.node(1).app.appliedIndex);
    expect(c.node(3).app.hash).toBe(c.node(1).app.hash);
    const snaps = c.sentOf('MsgSnap', 3).length;
    expect(snaps).toBe(1);
    // Caught up for good: more writes replicate by MsgApp, no further snapshots.
    for (let i = 0; i < 5; i++) c.propose(1, `after-${i}`);
    c.tickAll(5);
    expect(c.sentOf('MsgSnap', 3).length).toBe(snaps);
    expect(c.applied.get(3)?.at(-1)).toBe('after-4');
  });
});

describe('pitfall 17: storage acknowledgements and overwritten entries', () => {
  it('pitfall 17: an overwrite that lands between ready() and advance() is persisted by the next Ready, and only then acked', () => {
    const c = new ScriptedCluster({ voters: [1, 2, 3, 4, 5], options: QUIET });
    c.elect(1);
    c.propose(1, 'a');
    // Leader 1 (term T) sends "b" to node 2 only.
    c.filter = (m) => (m.from === 1 && m.to !== 2 ? 'drop' : m.to === 2 ? 'hold' : 'pass');
    c.propose(1, 'b');
    const raw2 = c.raw(2);
    const host2 = c.node(2);
    for (const m of c.held.splice(0)) raw2.step(m);
    const rd1 = raw2.ready();
    const idx = rd1.entries.at(-1)?.index ?? -1;
    const oldTerm = rd1.entries.at(-1)?.term ?? -1;
    expect(rd1.entries.map((e) => e.index)).toContain(idx);
    host2.storage.saveReady(rd1.hardState, rd1.entries, rd1.snapshot, rd1.mustSync);
    // Node 3 wins a higher term with 4 and 5, and its no-op overwrites index idx on node 2
    // before node 2 has advanced past rd1.
    c.filter = (m) => (m.to === 2 ? 'hold' : m.from === 1 || m.to === 1 ? 'drop' : 'pass');
    c.campaign(3);
    expect(c.node(3).isLeader).toBe(true);
    const newTerm = c.raw(3).status().hardState.term;
    const overwrite = c.held.filter((m) => m.type === 'MsgApp' && m.entries.some((e) => e.index === idx));
    expect(overwrite.length).toBeGreaterThan(0);
    for (const m of c.held.splice(0)) raw2.step(m);
    raw2.advance(rd1); // acknowledges the write of (idx, oldTerm) — which is no longer the entry there
    const rd2 = raw2.ready();
    const rewritten = rd2.entries.find((e) => e.index === idx);
    expect(rewritten?.term).toBe(newTerm);
    expect(oldTerm).toBeLessThan(newTerm);
    // The ack for idx at the new term is in the Ready that persists the new entry, not earlier.
    const acks = rd2.messages.filter((m) => m.type === 'MsgAppResp' && !m.reject && m.index >= idx);
    expect(acks.length).toBeGreaterThan(0);
    for (const m of rd1.messages) expect(m.type === 'MsgAppResp' && !m.reject && m.term === newTerm).toBe(false);
    host2.storage.saveReady(rd2.hardState, rd2.entries, rd2.snapshot, rd2.mustSync);
    raw2.advance(rd2);
    // What node 2 would recover after a crash now is the new entry.
    const durable = host2.storage.durable();
    const first = (durable.snapshot?.metadata.index ?? 0) + 1;
    expect(durable.entries[idx - first]?.term).toBe(newTerm);
  });
});

describe('pitfall 18: leader transfer', () => {
  function slowFollowerCluster(): ScriptedCluster {
    const c = new ScriptedCluster({ voters: [1, 2, 3], options: QUIET });
    c.elect(1);
    c.filter = (m) => (m.to === 3 ? 'hold' : 'pass');
    for (let i = 0; i < 5; i++) c.propose(1, `e${i}`);
    return c;
  }

  it('pitfall 18: MsgTimeoutNow goes only to a caught-up target (transfer to a slow follower)', () => {
    const c = slowFollowerCluster();
    c.raw(1).transferLeader(3);
    c.node(1).drain();
    c.deliverAll();
    expect(c.raw(1).status().leadTransferee).toBe(3);
    expect(c.sentOf('MsgTimeoutNow').length).toBe(0);
    // Let node 3 catch up: the leader sends MsgTimeoutNow once 3's match is its last index.
    c.filter = undefined;
    c.release(3);
    c.deliverAll();
    c.tickAll(2);
    const timeoutNow = c.sentOf('MsgTimeoutNow', 3);
    expect(timeoutNow.length).toBe(1);
    expect(c.leader()).toBe(3);
    expect(c.applied.get(3)?.at(-1)).toBe('e4');
  });

  it('pitfall 18: the leader drops proposals during a transfer and aborts it after an election timeout', () => {
    const c = slowFollowerCluster();
    c.isolate(3);
    c.raw(1).transferLeader(3);
    c.node(1).drain();
    expect(c.propose(1, 'during')).toBe(false);
    c.tickAll(10); // electionTick
    expect(c.raw(1).status().leadTransferee).toBe(0);
    expect(c.node(1).isLeader).toBe(true);
    expect(c.propose(1, 'after-abort')).toBe(true);
    c.tickAll(1);
    expect(c.applied.get(2)).toContain('after-abort');
    expect(c.applied.get(1)).not.toContain('during');
  });

  it('pitfall 18: a vote in a higher term cancels the transfer', () => {
    const c = slowFollowerCluster();
    c.isolate(3);
    c.raw(1).transferLeader(3);
    c.node(1).drain();
    c.campaign(2);
    expect(c.node(1).isLeader).toBe(false);
    expect(c.raw(1).status().leadTransferee).toBe(0);
    expect(c.leader()).toBe(2);
    c.filter = undefined;
    c.release();
    c.heal();
    c.tickAll(5);
    expect(c.sentOf('MsgTimeoutNow').length).toBe(0);
    expect(c.leader()).toBe(2);
  });
});
