/**
 * FINDINGS.md note 7: the member steps every message queued during a write before its next
 * Ready, so an ack queued for one leader's entries can share a Ready with a newer leader's append
 * (or snapshot) that replaces them. The ack must not go out: the older leader could count a copy
 * that no longer exists toward committing its entry.
 */
import { describe, expect, it } from 'vitest';
import type { Message, MessageOf } from '../../src/raft/messages.js';
import { RawNode } from '../../src/raft/rawnode.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import type { Entry } from '../../src/raft/types.js';
import { SeededRng } from '../../src/util/rng.js';
import { confStateOf } from './harness.js';

const entry = (index: number, term: number): Entry => ({ index, term, type: 'normal', data: new Uint8Array([index]) });
const app = (from: number, term: number, index: number, logTerm: number, entries: Entry[]): Message =>
  ({ type: 'MsgApp', from, to: 3, term, index, logTerm, entries, commit: 0 });
const acks = (ms: readonly Message[]) =>
  ms.filter((m): m is MessageOf<'MsgAppResp'> => m.type === 'MsgAppResp' && !m.reject).map((m) => ({ to: m.to, term: m.term, index: m.index }));

function follower(): RawNode {
  const storage = new MemoryStorage({ confState: confStateOf([1, 2, 3]) });
  return new RawNode({ id: 3, electionTick: 10, heartbeatTick: 1, storage, rng: new SeededRng(3), coalesceMessages: true });
}

describe('acks queued before a later step replaces the acked entries', () => {
  it('are dropped when a newer leader truncates them in the same Ready', () => {
    const rn = follower();
    rn.step(app(1, 1, 0, 0, [entry(1, 1), entry(2, 1), entry(3, 1)]));
    rn.step(app(2, 2, 1, 1, [entry(2, 2)]));
    const rd = rn.ready();
    expect(rd.entries.map((e) => [e.index, e.term])).toEqual([[1, 1], [2, 2]]);
    // Entry 1 is still what leader 1 sent: an ack up to 1 would be true; up to 3 is not.
    expect(acks(rd.messages)).toEqual([{ to: 2, term: 2, index: 2 }]);
  });

  it('are kept when the newer append only adds to them', () => {
    const rn = follower();
    rn.step(app(1, 1, 0, 0, [entry(1, 1), entry(2, 1)]));
    rn.step(app(2, 2, 2, 1, [entry(3, 2)]));
    expect(acks(rn.ready().messages)).toEqual([{ to: 1, term: 1, index: 2 }, { to: 2, term: 2, index: 3 }]);
  });

  it('are dropped when a snapshot replaces the log above the commit index', () => {
    const rn = follower();
    rn.step(app(1, 1, 0, 0, [entry(1, 1), entry(2, 1), entry(3, 1)]));
    rn.step({
      type: 'MsgSnap', from: 2, to: 3, term: 2,
      snapshot: { data: new Uint8Array(0), metadata: { index: 5, term: 2, confState: confStateOf([1, 2, 3]) } },
    });
    const rd = rn.ready();
    expect(rd.snapshot?.metadata.index).toBe(5);
    expect(acks(rd.messages)).toEqual([{ to: 2, term: 2, index: 5 }]);
  });
});
