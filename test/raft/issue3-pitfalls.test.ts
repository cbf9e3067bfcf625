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
    let refused = false;
    try {
      c.proposeConf(1, cc('auto', ['addLearnerNode', 5]), false);
    } catch (err) {
      if (!isKvError(err, 'ProposalDropped')) throw err;
      refused = true;
    }
    c.deliverAll();
    c.tickAll(3);
    // Whether refused outright or appended as a no-op entry, node 5 never joined.
    expect(confOf(c, 1).learners).toEqual([4]);
    for (const id of [1, 2, 3]) expect(confOf(c, id).learners).toEqual([4]);
    const log = c.node(1).storage.memory;
    const confEntries = log.entries(log.firstIndex(), log.lastIndex() + 1, Infinity).filter((e) => e.type === 'confChangeV2' && e.term > 1);
    expect(confEntries.length + (refused ? 1 : 0)).toBeGreaterThanOrEqual(1);
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
