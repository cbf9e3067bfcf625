/** Learners, simple and joint membership changes (thesis §4), and their safety guards. */
import { describe, expect, it } from 'vitest';
import { decodeConfChange, encodeConfChange } from '../../src/raft/confchange-codec.js';
import type { ConfChangeV2 } from '../../src/raft/types.js';
import { isKvError } from '../../src/util/errors.js';
import { te, TestNode, newStorage } from './harness.js';
import { appResp, hup } from './msgs.js';
import { Network } from './network.js';

const cc = (spec: string, transition: ConfChangeV2['transition'] = 'auto'): ConfChangeV2 => ({
  transition,
  changes: spec.split(' ').filter((s) => s !== '').map((s) => ({
    type: ({ v: 'addNode', l: 'addLearnerNode', r: 'removeNode', u: 'updateNode' } as const)[s[0] as 'v'],
    nodeId: Number(s.slice(1)),
  })),
  context: new Uint8Array(0),
});

function dropped(f: () => void): boolean {
  try {
    f();
    return false;
  } catch (err) {
    return isKvError(err, 'ProposalDropped');
  }
}

describe('conf change codec', () => {
  it('round-trips and rejects garbage with a KvError', () => {
    const c = { ...cc('v2 l3 r4 u5', 'explicit'), context: te.encode('member') };
    expect(decodeConfChange(encodeConfChange(c))).toEqual(c);
    expect(decodeConfChange(new Uint8Array(0))).toEqual(cc(''));
    for (const bad of ['{', '[]', '{"t":"x","c":[],"x":""}', '{"t":"auto","c":[["addNode",-1]],"x":""}', '{"t":"auto","c":[],"x":"zz"}']) {
      expect(() => decodeConfChange(te.encode(bad))).toThrowError(/invalid conf change/);
    }
  });
});

describe('learners', () => {
  it('a learner receives the log but neither votes in the count nor campaigns', () => {
    const net = new Network([1, 2, 3], { learners: [4] });
    net.campaign(4);
    expect(net.node(4).raft.state).toBe('follower');
    net.campaign(1);
    net.propose(1, 'x');
    expect(net.node(4).appliedData()).toEqual(['x']);
    // Only a learner's ack is not enough for a quorum.
    net.isolate(2);
    net.cut(1, 3);
    net.propose(1, 'y');
    expect(net.node(4).raft.log.lastIndex()).toBe(3);
    expect(net.node(1).raft.log.committed).toBe(2);
    for (let i = 0; i < 50; i++) net.node(4).rn.tick();
    expect(net.node(4).raft.state).toBe('follower');
  });
});

describe('membership changes', () => {
  it('a new leader refuses conf changes until an entry of its term committed', () => {
    const net = new Network([1, 2, 3]);
    net.ignore('MsgAppResp');
    net.campaign(1);
    expect(net.node(1).raft.state).toBe('leader');
    expect(dropped(() => net.node(1).rn.proposeConfChange(cc('l4')))).toBe(true);
    net.recover();
    net.tick(1, 1);
    net.node(1).rn.proposeConfChange(cc('l4'));
    net.send();
    expect(net.node(1).rn.status().config.learners).toEqual([4]);
  });

  it('only one conf change may be pending (unapplied) at a time', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.isolate(1);
    net.node(1).rn.proposeConfChange(cc('l4'));
    expect(dropped(() => net.node(1).rn.proposeConfChange(cc('l5')))).toBe(true);
    net.recover();
    net.tick(1, 1);
    net.node(1).rn.proposeConfChange(cc('l5'));
    net.send();
    expect(net.node(2).rn.status().config.learners).toEqual([4, 5]);
  });

  it('joint consensus with auto-leave: the leader proposes the leave entry once the joint config applied', () => {
    const net = new Network([1, 2, 3], { learners: [4] });
    net.campaign(1);
    net.node(1).rn.proposeConfChange(cc('v4 r3'));
    net.send();
    for (const id of [1, 2, 4]) {
      const cs = net.node(id).rn.status().config;
      expect(cs.voters, `node ${id}`).toEqual([1, 2, 4]);
      expect(cs.votersOutgoing).toEqual([]);
    }
    // The log shows the joint entry followed by the empty leave entry.
    const confEntries = net.node(2).applied.filter((e) => e.type === 'confChangeV2');
    expect(confEntries.map((e) => decodeConfChange(e.data).changes.length)).toEqual([2, 0]);
  });

  it('explicit joint transitions wait for the application to leave; commits need both majorities meanwhile', () => {
    const net = new Network([1, 2, 3], { learners: [4, 5] });
    net.campaign(1);
    net.node(1).rn.proposeConfChange(cc('v4 v5 r2 r3', 'explicit'));
    net.send();
    const status = net.node(1).rn.status();
    expect(status.config.voters).toEqual([1, 4, 5]);
    expect(status.config.votersOutgoing).toEqual([1, 2, 3]);
    // Outgoing majority (1,2,3) is unreachable except 1: nothing commits with just the incoming side.
    net.cut(1, 2);
    net.cut(1, 3);
    net.propose(1, 'joint');
    expect(net.node(4).raft.log.lastIndex()).toBeGreaterThan(net.node(1).raft.log.committed);
    expect(net.node(1).appliedData()).toEqual([]);
    net.recover();
    net.tick(1, 1);
    expect(net.node(1).appliedData()).toEqual(['joint']);
    // Another change is refused while joint; the empty change leaves.
    expect(dropped(() => net.node(1).rn.proposeConfChange(cc('l6')))).toBe(true);
    net.node(1).rn.proposeConfChange(cc(''));
    net.send();
    expect(net.node(4).rn.status().config).toMatchObject({ voters: [1, 4, 5], votersOutgoing: [] });
  });

  it('a removed leader steps down once the change applies (stepDownOnRemoval)', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.node(1).rn.proposeConfChange(cc('r1'));
    net.send();
    expect(net.node(1).raft.state).toBe('follower');
    net.tickAll(40);
    const lead = net.leader();
    expect(lead === 2 || lead === 3).toBe(true);
  });

  it('a node with committed but unapplied conf changes refuses to campaign, even on MsgTimeoutNow', () => {
    const n = new TestNode(2, newStorage([1, 2, 3]), { preVote: false });
    // Receive and commit a conf change without applying it (no Ready processed).
    const entry = { term: 1, index: 1, type: 'confChangeV2' as const, data: encodeConfChange(cc('r3')) };
    n.step({ type: 'MsgApp', from: 1, to: 2, term: 1, index: 0, logTerm: 0, entries: [entry], commit: 1 });
    expect(n.raft.log.committed).toBe(1);
    expect(n.raft.log.applied).toBe(0);
    n.step(hup(2));
    expect(n.raft.state).toBe('follower');
    n.step({ type: 'MsgTimeoutNow', from: 1, to: 2, term: 1 });
    expect(n.raft.state).toBe('follower');
    // Once applied, it may.
    n.process();
    n.step(hup(2));
    expect(n.raft.state).toBe('candidate');
  });

  it('a restart rebuilds a joint configuration from the stored ConfState', () => {
    const s = newStorage([1]);
    s.applySnapshot({
      metadata: {
        index: 5,
        term: 1,
        confState: { voters: [1, 2, 4], votersOutgoing: [1, 2, 3], learners: [5], learnersNext: [3], autoLeave: true },
      },
      data: new Uint8Array(0),
    });
    const n = new TestNode(1, s);
    expect(n.rn.status().config).toEqual({ voters: [1, 2, 4], votersOutgoing: [1, 2, 3], learners: [5], learnersNext: [3], autoLeave: true });
    // Leaving applies learnersNext.
    expect(n.rn.applyConfChange(cc(''))).toEqual({ voters: [1, 2, 4], votersOutgoing: [], learners: [3, 5], learnersNext: [], autoLeave: false });
  });

  it('invalid changes are rejected with a KvError and leave the configuration untouched', () => {
    const n = new TestNode(1, newStorage([1, 2, 3]));
    expect(() => n.rn.applyConfChange(cc('r1 r2 r3'))).toThrowError(/removed all voters/);
    expect(() => n.rn.applyConfChange(cc(''))).toThrowError(/non-joint/);
    expect(n.rn.status().config.voters).toEqual([1, 2, 3]);
  });

  it("the leader's view: a new member starts probing, and acks from removed nodes are ignored", () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.node(1).rn.proposeConfChange(cc('r3'));
    net.send();
    const leader = net.node(1);
    expect(leader.raft.trk.progress.has(3)).toBe(false);
    leader.rn.step(appResp(3, 1, 1, 100));
    expect(leader.raft.log.committed).toBe(2);
  });
});
