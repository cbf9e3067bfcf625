/** Cluster behaviour on the synchronous test network (etcd-io/raft raft_test.go). */
import { describe, expect, it } from 'vitest';
import { isKvError } from '../../src/util/errors.js';
import { te } from './harness.js';
import type { Message } from '../../src/raft/messages.js';
import { app, appResp, hbResp, ofType, prop } from './msgs.js';
import { Network } from './network.js';

describe('elections', () => {
  it('dueling candidates: the one with the shorter log cannot win; the cluster converges', () => {
    const net = new Network([1, 2, 3], { preVote: false, checkQuorum: false });
    net.cut(1, 3);
    net.campaign(1);
    net.campaign(3);
    // 1 won with 2's vote; 3 could not (2 had voted, 1 unreachable).
    expect(net.node(1).raft.state).toBe('leader');
    expect(net.node(3).raft.state).toBe('candidate');
    net.recover();
    // 3's new campaign (term 2) deposes 1 but 3's log lacks 1's no-op, so nobody votes for it.
    net.campaign(3);
    expect(net.node(3).raft.state).toBe('follower');
    expect(net.node(1).raft.state).toBe('follower');
    expect(net.node(3).raft.term).toBe(2);
    // Eventually someone with the full log leads and all logs agree.
    net.campaign(1);
    expect(net.node(1).raft.state).toBe('leader');
    expect(net.node(3).raft.log.lastIndex()).toBe(net.node(1).raft.log.lastIndex());
  });

  it('dueling pre-candidates do not bump terms', () => {
    const net = new Network([1, 2, 3]);
    net.cut(1, 3);
    net.campaign(1);
    net.campaign(3);
    expect(net.node(1).raft.state).toBe('leader');
    // 2 rejected 3's pre-vote with its own term, so 3 learned term 1 (etcd #8243) without
    // anyone's term moving because of 3.
    expect(net.node(3).raft.state).toBe('follower');
    expect(net.node(3).raft.term).toBe(1);
    net.recover();
    net.campaign(3);
    // 3's log is behind: the pre-vote fails and nobody's term moves.
    expect(net.node(1).raft.state).toBe('leader');
    expect([1, 2, 3].map((id) => net.node(id).raft.term)).toEqual([1, 1, 1]);
  });

  it('PreVote: a partitioned node rejoining does not disrupt the leader', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.propose(1, 'a');
    net.isolate(3);
    // 3 times out again and again but never raises its term.
    net.tick(3, 100);
    expect(net.node(3).raft.term).toBe(1);
    expect(net.node(3).raft.state).toBe('preCandidate');
    net.propose(1, 'b');
    net.recover();
    net.tick(3, 30);
    net.tick(1, 1);
    expect(net.node(1).raft.state).toBe('leader');
    expect(net.node(1).raft.term).toBe(1);
    expect(net.node(3).raft.state).toBe('follower');
    expect(net.node(3).appliedData()).toEqual(['a', 'b']);
  });

  it('without PreVote the rejoining node does disrupt (the control case)', () => {
    const net = new Network([1, 2, 3], { preVote: false, checkQuorum: false });
    net.campaign(1);
    net.isolate(3);
    net.tick(3, 100);
    expect(net.node(3).raft.term).toBeGreaterThan(1);
    net.recover();
    net.tick(3, 20);
    expect(net.node(1).raft.term).toBeGreaterThan(1);
    expect(net.node(1).raft.state).not.toBe('leader');
  });

  it('CheckQuorum: a leader that cannot hear from a quorum steps down', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.isolate(1);
    net.tick(1, 10);
    expect(net.node(1).raft.state).toBe('leader'); // first check: everyone was active
    net.tick(1, 10);
    expect(net.node(1).raft.state).toBe('follower');
    expect(net.node(1).raft.term).toBe(1);
  });

  it('CheckQuorum: followers that heard from the leader ignore a vote request (leader lease)', () => {
    const net = new Network([1, 2, 3], { preVote: false });
    net.campaign(1);
    // 3 campaigns without pre-vote: 2 still has a live leader and ignores it.
    net.node(3).raft.campaign('election');
    net.send();
    expect(net.node(1).raft.state).toBe('leader');
    expect(net.node(2).raft.term).toBe(1);
  });

  it('stale messages from an old term are ignored and never move progress', () => {
    const net = new Network([1, 2, 3], { preVote: false, checkQuorum: false });
    net.campaign(1);
    net.campaign(2);
    net.propose(2, 'a');
    const leader = net.node(2);
    expect(leader.raft.term).toBe(2);
    const before = leader.raft.trk.progress.get(1)?.match;
    // A delayed response from term 1 claiming a huge index, and a delayed rejection.
    leader.step(appResp(1, 2, 1, 100));
    leader.step(appResp(3, 2, 1, 3, true, 0, 0));
    // A delayed append from the term-1 leader.
    net.node(3).step(app(1, 3, 1, 1, 1, [{ term: 1, index: 2, type: 'normal', data: te.encode('old') }], 2));
    // A delayed vote grant from term 1 does not make anyone leader.
    net.node(1).step({ type: 'MsgVoteResp', from: 3, to: 1, term: 1, reject: false });
    net.send();
    expect(leader.raft.trk.progress.get(1)?.match).toBe(before);
    expect(leader.raft.trk.progress.get(3)?.state).toBe('replicate');
    expect(net.node(3).raft.log.lastIndex()).toBe(3);
    expect(net.node(3).appliedData()).toEqual(['a']);
    expect(net.node(1).raft.state).toBe('follower');
    expect(leader.raft.log.committed).toBe(3);
  });

  it('network messages with term 0 (other than forwarded proposals and reads) are dropped', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    const leader = net.node(1);
    leader.rn.step(appResp(2, 1, 0, 100));
    expect(leader.raft.trk.progress.get(2)?.match).toBe(1);
  });

  it('stale-term MsgApp is answered with our term so an old leader steps down', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.node(2).step(app(1, 2, 0, 0, 0));
    const resps = ofType(net.node(2).process(), 'MsgAppResp');
    expect(resps).toHaveLength(1);
    expect(resps[0]?.term).toBe(1);
  });
});

describe('replication', () => {
  it('a follower forwards proposals to the leader', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.propose(3, 'via follower');
    for (const id of [1, 2, 3]) expect(net.node(id).appliedData()).toEqual(['via follower']);
  });

  it('proposals are dropped without a leader, or with forwarding disabled', () => {
    const net = new Network([1, 2, 3], { disableProposalForwarding: true });
    expect(() => net.node(2).rn.propose(te.encode('x'))).toThrowError(/dropped/);
    net.campaign(1);
    let err: unknown;
    try {
      net.node(2).rn.propose(te.encode('x'));
    } catch (e) {
      err = e;
    }
    expect(isKvError(err, 'ProposalDropped')).toBe(true);
  });

  it('the leader drops proposals beyond maxUncommittedEntriesSize', () => {
    const net = new Network([1, 2, 3], { maxUncommittedEntriesSize: 20 });
    net.campaign(1);
    net.isolate(1);
    const leader = net.node(1).rn;
    leader.propose(new Uint8Array(15));
    expect(() => leader.propose(new Uint8Array(10))).toThrowError(/dropped/);
    net.recover();
    net.send();
    // Committing the tail frees the budget.
    net.tick(1, 1);
    leader.propose(new Uint8Array(10));
  });

  it('flow control: a probing follower gets one MsgApp until it answers or a heartbeat response resumes it', () => {
    const net = new Network([1, 2]);
    net.campaign(1);
    const leader = net.node(1);
    // Force follower 2 back to probing, then propose several entries with 2 unreachable.
    net.isolate(2);
    leader.rn.reportUnreachable(2);
    for (let i = 0; i < 3; i++) {
      try {
        leader.rn.propose(te.encode(`p${i}`));
      } catch {
        // isolated: fine
      }
    }
    const sent = ofType(leader.process(), 'MsgApp').filter((m) => m.to === 2);
    expect(sent).toHaveLength(1);
    expect(leader.raft.trk.progress.get(2)?.isPaused()).toBe(true);
    // A heartbeat response resumes probing with one more MsgApp.
    leader.step(hbResp(2, 1, 1));
    expect(ofType(leader.process(), 'MsgApp').filter((m) => m.to === 2)).toHaveLength(1);
    net.recover();
    net.tick(1, 1);
    expect(net.node(2).appliedData()).toEqual(['p0', 'p1', 'p2']);
    expect(leader.raft.trk.progress.get(2)?.state).toBe('replicate');
  });

  it('flow control: the inflight window pauses replication when full and resumes on acks', () => {
    const net = new Network([1, 2], { maxInflightMsgs: 2 });
    net.campaign(1);
    const leader = net.node(1);
    net.isolate(2);
    for (let i = 0; i < 5; i++) leader.rn.propose(te.encode(`e${i}`));
    const apps = ofType(leader.process(), 'MsgApp').filter((m) => m.to === 2);
    expect(apps).toHaveLength(2);
    const pr = leader.raft.trk.progress.get(2);
    expect(pr?.state).toBe('replicate');
    expect(pr?.inflights.full()).toBe(true);
    // The follower gets the first message; its ack frees one slot: one more message goes out.
    const follower = net.node(2);
    follower.step(apps[0] as Message);
    const ack = ofType(follower.process(), 'MsgAppResp');
    expect(ack).toHaveLength(1);
    leader.step(ack[0] as Message);
    expect(ofType(leader.process(), 'MsgApp').filter((m) => m.to === 2)).toHaveLength(1);
    net.recover();
    net.tick(1, 1);
    expect(net.node(2).appliedData()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
  });

  it('flow control: the inflight window is also bounded by bytes', () => {
    const net = new Network([1, 2], { maxInflightMsgs: 100, maxInflightBytes: 200, maxSizePerMsg: 100 });
    net.campaign(1);
    net.isolate(2);
    const leader = net.node(1);
    for (let i = 0; i < 10; i++) leader.rn.propose(new Uint8Array(84)); // 100 bytes with the header
    const apps = ofType(leader.process(), 'MsgApp').filter((m) => m.to === 2);
    expect(apps).toHaveLength(2);
    expect(leader.raft.trk.progress.get(2)?.inflights.totalBytes()).toBe(200);
    net.recover();
    net.tick(1, 1);
    expect(net.node(2).applied.filter((e) => e.data.byteLength === 84)).toHaveLength(10);
  });

  it('MsgApp batching is bounded by maxSizePerMsg', () => {
    const net = new Network([1, 2], { maxSizePerMsg: 100 });
    net.campaign(1);
    net.isolate(2);
    const leader = net.node(1);
    leader.raft.trk.progress.get(2)?.becomeProbe();
    for (let i = 0; i < 10; i++) leader.rn.propose(new Uint8Array(30));
    leader.process();
    net.recover();
    net.tick(1, 1);
    const apps = net.delivered.filter((m) => m.type === 'MsgApp' && m.entries.length > 0);
    expect(apps.length).toBeGreaterThan(3);
    for (const m of apps) if (m.type === 'MsgApp') expect(m.entries.length).toBeLessThanOrEqual(2);
    expect(net.node(2).applied.filter((e) => e.data.byteLength === 30)).toHaveLength(10);
  });

  it('fast backtracking: a follower with a long divergent tail is repaired in a few round trips', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    // 1 leads term 1 and appends 50 entries nobody gets.
    net.isolate(1);
    for (let i = 0; i < 50; i++) net.node(1).rn.propose(te.encode(`lost${i}`));
    net.node(1).process();
    // 2 or 3 becomes leader of term 2 and commits 5 entries.
    net.tickAll(40);
    const lead = net.leader();
    expect(lead === 2 || lead === 3).toBe(true);
    const leaderId = lead as number;
    for (let i = 0; i < 5; i++) net.propose(leaderId, `kept${i}`);
    net.recover();
    const start = net.delivered.length;
    net.tick(leaderId, 1);
    const rejects = net.delivered.slice(start).filter((m) => m.type === 'MsgAppResp' && m.reject);
    expect(rejects.length).toBeLessThanOrEqual(2);
    expect(net.node(1).appliedData()).toEqual(['kept0', 'kept1', 'kept2', 'kept3', 'kept4']);
  });
});

describe('ReadIndex', () => {
  it('a read whose heartbeat round was lost is confirmed by the next heartbeat, and a retry re-sends its round', () => {
    // Found by the whole-member simulation (seed 5425): the read's own round was lost, the
    // member's retries carried the same context and were dropped as duplicates, and plain
    // heartbeats carried no context, so the read waited until a newer read came along.
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.propose(1, 'a');
    const leader = net.node(1);
    net.ignore('MsgHeartbeatResp');
    leader.rn.readIndex(te.encode('lost'));
    net.send();
    expect(leader.readStates).toEqual([]);
    net.recover();
    // The next periodic heartbeat carries the pending read's context (etcd-io/raft does).
    net.tick(1, 1);
    expect(leader.readStates.map((r) => new TextDecoder().decode(r.requestCtx))).toEqual(['lost']);

    net.ignore('MsgHeartbeatResp');
    leader.rn.readIndex(te.encode('retried'));
    net.send();
    net.recover();
    // The application retries with the same context before any heartbeat: the round is re-sent.
    leader.rn.readIndex(te.encode('retried'));
    net.send();
    expect(leader.readStates.map((r) => new TextDecoder().decode(r.requestCtx))).toEqual(['lost', 'retried']);
  });

  it('a new leader answers reads only after its no-op committed, and forwards followers reads', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.propose(1, 'a');
    // 2 becomes leader (by transfer) but the messages committing its no-op are lost.
    net.ignore('MsgAppResp');
    net.node(1).rn.transferLeader(2);
    net.send();
    const leader = net.node(2);
    expect(leader.raft.state).toBe('leader');
    leader.rn.readIndex(te.encode('r1'));
    net.send();
    expect(leader.readStates).toEqual([]);
    net.recover();
    net.tick(2, 1);
    expect(leader.readStates.map((r) => r.index)).toEqual([leader.raft.log.committed]);
    expect(leader.readStates[0]?.index).toBe(3);
    // A follower's read goes through the leader.
    net.node(3).rn.readIndex(te.encode('r2'));
    net.send();
    expect(net.node(3).readStates.map((r) => [r.index, new TextDecoder().decode(r.requestCtx)])).toEqual([[3, 'r2']]);
  });

  it('reads waiting at one moment share one heartbeat round', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    const leader = net.node(1);
    for (const ctx of ['x', 'y', 'z']) leader.rn.readIndex(te.encode(ctx));
    const start = net.delivered.length;
    net.send();
    const hbs = net.delivered.slice(start).filter((m) => m.type === 'MsgHeartbeat');
    expect(hbs).toHaveLength(2);
    expect(leader.readStates.map((r) => new TextDecoder().decode(r.requestCtx))).toEqual(['x', 'y', 'z']);
  });

  it('a single-voter cluster answers immediately', () => {
    const net = new Network([1]);
    net.campaign(1);
    net.node(1).rn.readIndex(te.encode('solo'));
    net.send();
    expect(net.node(1).readStates).toHaveLength(1);
    expect(net.node(1).readStates[0]?.index).toBe(1);
  });

  it('a partitioned leader cannot answer a read', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.isolate(1);
    net.node(1).rn.readIndex(te.encode('stale?'));
    net.send();
    expect(net.node(1).readStates).toEqual([]);
  });
});

describe('leader transfer', () => {
  it('transfers to an up-to-date follower', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.node(1).rn.transferLeader(2);
    net.send();
    expect(net.node(2).raft.state).toBe('leader');
    expect(net.node(1).raft.state).toBe('follower');
    expect(net.node(1).raft.leadTransferee).toBe(0);
  });

  it('catches a lagging target up first, dropping proposals meanwhile', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.isolate(3);
    net.propose(1, 'a');
    net.node(1).rn.transferLeader(3);
    net.send();
    expect(net.node(1).raft.leadTransferee).toBe(3);
    expect(() => net.node(1).rn.propose(te.encode('b'))).toThrowError(/dropped/);
    net.recover();
    net.tick(1, 1);
    expect(net.node(3).raft.state).toBe('leader');
    expect(net.node(3).appliedData()).toEqual(['a']);
  });

  it('is aborted after an election timeout', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.isolate(3);
    net.node(1).rn.transferLeader(3);
    net.send();
    net.tick(1, 10);
    expect(net.node(1).raft.leadTransferee).toBe(0);
    expect(net.node(1).raft.state).toBe('leader');
    net.propose(1, 'ok again');
  });

  it('transfer to self or to a learner is ignored', () => {
    const net = new Network([1, 2, 3], { learners: [4] });
    net.campaign(1);
    net.node(1).rn.transferLeader(1);
    net.node(1).rn.transferLeader(4);
    net.send();
    expect(net.node(1).raft.leadTransferee).toBe(0);
    expect(net.node(1).raft.state).toBe('leader');
  });

  it('a higher-term vote cancels the transfer', () => {
    const net = new Network([1, 2, 3], { checkQuorum: false, preVote: false });
    net.campaign(1);
    net.isolate(3);
    net.node(1).rn.transferLeader(3);
    net.send();
    expect(net.node(1).raft.leadTransferee).toBe(3);
    net.recover();
    net.isolate(3);
    net.campaign(2);
    expect(net.node(1).raft.leadTransferee).toBe(0);
    expect(net.node(2).raft.state).toBe('leader');
  });
});

describe('proposal helpers', () => {
  it('prop() is accepted by the leader as a local message', () => {
    const net = new Network([1]);
    net.campaign(1);
    net.send(prop(1, 'p'));
    expect(net.node(1).appliedData()).toEqual(['p']);
  });
});
