/**
 * ReadIndex edge cases found by reviewing src/raft against etcd-io/raft (issue 14): a lone
 * voter's stale commit index after a power loss.
 */
import { describe, expect, it } from 'vitest';
import { newStorage, TestNode, te, td } from './harness.js';

const ctxs = (n: TestNode) => n.readStates.map((r) => [r.index, td.decode(r.requestCtx)]);

describe('ReadIndex on a single-voter leader', () => {
  it('waits until an entry of its term commits: its stored commit index may lag an acknowledged write', () => {
    // Entries 1..3 were durable and applied (a client saw entry 3 acknowledged), but the commit
    // index in the hard state is written without a sync: after the power loss it says 1.
    const storage = newStorage([1]);
    storage.append([1, 2, 3].map((index) => ({ term: 1, index, type: 'normal' as const, data: te.encode(`w${index}`) })));
    storage.setHardState({ term: 1, vote: 1, commit: 1 });
    const node = new TestNode(1, storage);
    node.rn.campaign();
    expect(node.raft.state).toBe('leader');
    expect(node.raft.log.committed).toBe(1);
    node.rn.readIndex(te.encode('after-restart'));
    // The first Ready persists the no-op (index 4); a read answered now would be at index 1,
    // older than the acknowledged write 3.
    const first = node.rn.ready();
    expect(first.readStates).toEqual([]);
    node.handleReady(first);
    node.process();
    expect(node.raft.log.committed).toBe(4);
    expect(ctxs(node)).toEqual([[4, 'after-restart']]);
  });

  it('answers at once, without a heartbeat round, once its no-op committed', () => {
    const node = new TestNode(1, newStorage([1]));
    node.rn.campaign();
    node.process();
    node.rn.readIndex(te.encode('solo'));
    const rd = node.rn.ready();
    expect(rd.messages).toEqual([]);
    expect(rd.readStates.map((r) => r.index)).toEqual([node.raft.log.committed]);
    node.handleReady(rd);
  });
});
