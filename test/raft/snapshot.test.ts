/** Snapshots: sending, installing, restoring membership, and what reaches the application. */
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/raft/types.js';
import { EMPTY_CONF_STATE } from '../../src/raft/types.js';
import { newStorage, te, TestNode } from './harness.js';
import { app, ent, hbResp, ofType } from './msgs.js';
import { Network } from './network.js';

function snap(index: number, term: number, voters: number[], learners: number[] = []): Snapshot {
  return { metadata: { index, term, confState: { ...EMPTY_CONF_STATE, voters, learners } }, data: te.encode(`state@${index}`) };
}

describe('snapshots', () => {
  it('a follower installs a snapshot, replacing its log and taking the membership from it', () => {
    const n = new TestNode(2, newStorage([1, 2]));
    n.step(app(1, 2, 1, 0, 0, [ent(1, 1, 'a'), ent(1, 2, 'b')], 1));
    n.process();
    n.step({ type: 'MsgSnap', from: 1, to: 2, term: 2, snapshot: snap(10, 2, [1, 2, 3], [4]) });
    const rd = n.rn.ready();
    expect(rd.snapshot?.metadata.index).toBe(10);
    // Nothing below the snapshot is handed out (entry 2 was committed-to-be but is superseded).
    expect(rd.committedEntries).toEqual([]);
    expect(ofType(rd.messages, 'MsgAppResp').map((m) => m.index)).toEqual([10]);
    n.handleReady(rd);
    expect(n.rn.status().config).toMatchObject({ voters: [1, 2, 3], learners: [4] });
    expect(n.storage.firstIndex()).toBe(11);
    expect(n.raft.log.applied).toBe(10);
    n.step(app(1, 2, 2, 10, 2, [ent(2, 11, 'c')], 11));
    n.process();
    expect(n.appliedData()).toEqual(['a', 'c']);
  });

  it('a follower that already has the snapshot entry keeps its matching suffix and fast-forwards its commit', () => {
    const n = new TestNode(2, newStorage([1, 2]));
    n.step(app(1, 2, 1, 0, 0, [ent(1, 1, 'a'), ent(1, 2, 'b'), ent(1, 3, 'c')], 0));
    n.process();
    n.step({ type: 'MsgSnap', from: 1, to: 2, term: 1, snapshot: snap(2, 1, [1, 2]) });
    const rd = n.rn.ready();
    expect(rd.snapshot).toBeUndefined();
    expect(ofType(rd.messages, 'MsgAppResp').map((m) => m.index)).toEqual([2]);
    n.handleReady(rd);
    expect(n.storage.lastIndex()).toBe(3);
    expect(n.appliedData()).toEqual(['a', 'b']);
  });

  it('a snapshot older than the commit index, or without this node in it, is ignored', () => {
    const n = new TestNode(2, newStorage([1, 2]));
    n.step(app(1, 2, 1, 0, 0, [ent(1, 1, 'a'), ent(1, 2, 'b')], 2));
    n.process();
    n.step({ type: 'MsgSnap', from: 1, to: 2, term: 1, snapshot: snap(1, 1, [1, 2]) });
    n.step({ type: 'MsgSnap', from: 1, to: 2, term: 1, snapshot: snap(9, 1, [1, 3]) });
    const rd = n.rn.ready();
    expect(rd.snapshot).toBeUndefined();
    expect(ofType(rd.messages, 'MsgAppResp').map((m) => m.index)).toEqual([2, 2]);
  });

  it('the leader sends a snapshot to a follower whose next entry is compacted; it resumes replication right after', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.propose(1, `e${i}`);
    const leader = net.node(1);
    const idx = leader.raft.log.committed;
    leader.storage.createSnapshot(idx, leader.rn.status().config, te.encode('snapshot'));
    leader.storage.compact(idx);
    net.recover();
    net.tick(1, 1);
    expect(net.delivered.filter((m) => m.type === 'MsgSnap')).toHaveLength(1);
    expect(net.node(3).raft.log.committed).toBe(idx);
    expect(leader.raft.trk.progress.get(3)?.state).toBe('replicate');
    net.propose(1, 'after');
    expect(net.node(3).appliedData()).toEqual(['after']);
  });

  it('reportSnapshot moves a snapshotting follower back to probing, paused until the next heartbeat response', () => {
    for (const status of ['finish', 'failure'] as const) {
      const net = new Network([1, 2, 3]);
      net.campaign(1);
      net.isolate(2);
      for (let i = 0; i < 3; i++) net.propose(1, `e${i}`);
      const leader = net.node(1);
      const pr = leader.raft.trk.progress.get(2);
      // Pretend a snapshot at 3 is on its way.
      pr?.becomeSnapshot(3);
      leader.rn.reportSnapshot(2, status);
      expect(pr?.state).toBe('probe');
      expect(pr?.isPaused()).toBe(true);
      // Delivered: probe after the snapshot; failed: from the match point.
      expect(pr?.next).toBe(status === 'finish' ? 4 : 2);
      leader.step(hbResp(2, 1, 1));
      expect(pr?.isPaused()).toBe(true); // probe sent, waiting for its answer
    }
  });

  it('no snapshot goes to a follower that has not been heard from recently', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.isolate(3);
    for (let i = 0; i < 3; i++) net.propose(1, `e${i}`);
    const leader = net.node(1);
    leader.storage.createSnapshot(4, undefined, te.encode('s'));
    leader.storage.compact(4);
    // A CheckQuorum round marks 3 inactive.
    net.tick(1, 10);
    expect(leader.raft.trk.progress.get(3)?.recentActive).toBe(false);
    leader.raft.trk.progress.get(3)?.becomeProbe();
    net.propose(1, 'x');
    expect(net.delivered.some((m) => m.type === 'MsgSnap')).toBe(false);
  });

  it('a restarted node applies from its snapshot on, never entries below it', () => {
    const s = newStorage([1]);
    s.applySnapshot(snap(5, 1, [1]));
    s.append([ent(1, 6, 'six'), ent(1, 7, 'seven')]);
    s.setHardState({ term: 1, vote: 1, commit: 7 });
    const n = new TestNode(1, s);
    n.restart();
    n.process();
    expect(n.applied.map((e) => e.index)).toEqual([6, 7]);
  });
});
