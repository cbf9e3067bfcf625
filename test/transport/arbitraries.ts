/** fast-check generators for every raft message that crosses the wire, plus fixed samples. */
import fc from 'fast-check';
import type { Message } from '../../src/raft/messages.js';
import type { ConfState, Entry, Snapshot } from '../../src/raft/types.js';

const uint = fc.nat({ max: Number.MAX_SAFE_INTEGER });
const nodeId = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const bytes = fc.uint8Array({ maxLength: 64 });
const ids = fc.array(nodeId, { maxLength: 5 });

export const entryArb: fc.Arbitrary<Entry> = fc.record({
  term: uint,
  index: uint,
  type: fc.constantFrom('normal' as const, 'confChange' as const, 'confChangeV2' as const),
  data: bytes,
});

const confStateArb: fc.Arbitrary<ConfState> = fc.record({
  voters: ids,
  learners: ids,
  votersOutgoing: ids,
  learnersNext: ids,
  autoLeave: fc.boolean(),
});

const snapshotArb: fc.Arbitrary<Snapshot> = fc.record({
  metadata: fc.record({ index: uint, term: uint, confState: confStateArb }),
  data: bytes,
});

const envelope = { from: nodeId, to: nodeId, term: uint };
const entries = fc.array(entryArb, { maxLength: 4 });

/** One arbitrary per wire message type (local types never cross the wire). */
export const wireMessageArbs = {
  MsgProp: fc.record({ type: fc.constant('MsgProp' as const), ...envelope, entries }),
  MsgApp: fc.record({ type: fc.constant('MsgApp' as const), ...envelope, index: uint, logTerm: uint, entries, commit: uint }),
  MsgAppResp: fc.record({ type: fc.constant('MsgAppResp' as const), ...envelope, index: uint, reject: fc.boolean(), rejectHint: uint, logTerm: uint }),
  MsgVote: fc.record({ type: fc.constant('MsgVote' as const), ...envelope, index: uint, logTerm: uint, transfer: fc.boolean() }),
  MsgPreVote: fc.record({ type: fc.constant('MsgPreVote' as const), ...envelope, index: uint, logTerm: uint, transfer: fc.boolean() }),
  MsgVoteResp: fc.record({ type: fc.constant('MsgVoteResp' as const), ...envelope, reject: fc.boolean() }),
  MsgPreVoteResp: fc.record({ type: fc.constant('MsgPreVoteResp' as const), ...envelope, reject: fc.boolean() }),
  MsgSnap: fc.record({ type: fc.constant('MsgSnap' as const), ...envelope, snapshot: snapshotArb }),
  MsgHeartbeat: fc.record({ type: fc.constant('MsgHeartbeat' as const), ...envelope, commit: uint, context: bytes }),
  MsgHeartbeatResp: fc.record({ type: fc.constant('MsgHeartbeatResp' as const), ...envelope, context: bytes }),
  MsgTransferLeader: fc.record({ type: fc.constant('MsgTransferLeader' as const), ...envelope }),
  MsgTimeoutNow: fc.record({ type: fc.constant('MsgTimeoutNow' as const), ...envelope }),
  MsgReadIndex: fc.record({ type: fc.constant('MsgReadIndex' as const), ...envelope, context: bytes }),
  MsgReadIndexResp: fc.record({ type: fc.constant('MsgReadIndexResp' as const), ...envelope, index: uint, context: bytes }),
} satisfies Record<string, fc.Arbitrary<Message>>;

export const wireMessageArb: fc.Arbitrary<Message> = fc.oneof(...Object.values(wireMessageArbs));

const b = (...xs: number[]) => new Uint8Array(xs);
const confState: ConfState = { voters: [1, 2, 3], learners: [4], votersOutgoing: [], learnersNext: [], autoLeave: false };

/** One fixed, fully populated sample of every wire type, addressed from → to. */
export function sampleMessages(from: number, to: number): Message[] {
  const env = { from, to, term: 7 };
  const entry = (index: number): Entry => ({ term: 7, index, type: 'normal', data: b(index, 1, 2) });
  return [
    { type: 'MsgProp', ...env, term: 0, entries: [entry(0)] },
    { type: 'MsgApp', ...env, index: 10, logTerm: 6, entries: [entry(11), entry(12)], commit: 9 },
    { type: 'MsgAppResp', ...env, index: 12, reject: true, rejectHint: 8, logTerm: 5 },
    { type: 'MsgVote', ...env, index: 12, logTerm: 7, transfer: true },
    { type: 'MsgPreVote', ...env, index: 12, logTerm: 7, transfer: false },
    { type: 'MsgVoteResp', ...env, reject: false },
    { type: 'MsgPreVoteResp', ...env, reject: true },
    { type: 'MsgHeartbeat', ...env, commit: 12, context: b(9) },
    { type: 'MsgHeartbeatResp', ...env, context: b(9) },
    { type: 'MsgTransferLeader', ...env },
    { type: 'MsgTimeoutNow', ...env },
    { type: 'MsgReadIndex', ...env, context: b(1, 2, 3, 4, 5, 6, 7, 8) },
    { type: 'MsgReadIndexResp', ...env, index: 12, context: b(1, 2, 3, 4, 5, 6, 7, 8) },
    { type: 'MsgSnap', ...env, snapshot: { metadata: { index: 100, term: 6, confState }, data: b(42) } },
  ];
}
