/** Terse constructors for messages and entries in tests. */
import type { Message, MessageOf } from '../../src/raft/messages.js';
import type { Entry, NodeId } from '../../src/raft/types.js';
import { te } from './harness.js';

export function ent(term: number, index: number, data = ''): Entry {
  return { term, index, type: 'normal', data: te.encode(data) };
}

/** Entries with the given terms at indexes 1..n. */
export function entsWithTerms(...terms: number[]): Entry[] {
  return terms.map((t, i) => ent(t, i + 1));
}

export function app(from: NodeId, to: NodeId, term: number, index: number, logTerm: number, entries: Entry[] = [], commit = 0): MessageOf<'MsgApp'> {
  return { type: 'MsgApp', from, to, term, index, logTerm, entries, commit };
}

export function appResp(from: NodeId, to: NodeId, term: number, index: number, reject = false, rejectHint = 0, logTerm = 0): MessageOf<'MsgAppResp'> {
  return { type: 'MsgAppResp', from, to, term, index, reject, rejectHint, logTerm };
}

export function vote(from: NodeId, to: NodeId, term: number, index: number, logTerm: number, pre = false): MessageOf<'MsgVote' | 'MsgPreVote'> {
  return { type: pre ? 'MsgPreVote' : 'MsgVote', from, to, term, index, logTerm, transfer: false };
}

export function voteResp(from: NodeId, to: NodeId, term: number, reject = false, pre = false): MessageOf<'MsgVoteResp' | 'MsgPreVoteResp'> {
  return { type: pre ? 'MsgPreVoteResp' : 'MsgVoteResp', from, to, term, reject };
}

export function hb(from: NodeId, to: NodeId, term: number, commit = 0): MessageOf<'MsgHeartbeat'> {
  return { type: 'MsgHeartbeat', from, to, term, commit, context: new Uint8Array(0) };
}

export function hbResp(from: NodeId, to: NodeId, term: number): MessageOf<'MsgHeartbeatResp'> {
  return { type: 'MsgHeartbeatResp', from, to, term, context: new Uint8Array(0) };
}

export function hup(id: NodeId): Message {
  return { type: 'MsgHup', from: id, to: id, term: 0 };
}

export function prop(id: NodeId, data: string): Message {
  return { type: 'MsgProp', from: id, to: id, term: 0, entries: [ent(0, 0, data)] };
}

export function beat(id: NodeId): Message {
  return { type: 'MsgBeat', from: id, to: id, term: 0 };
}

/** Messages of one type, for assertions. */
export function ofType<T extends Message['type']>(ms: readonly Message[], type: T): Array<MessageOf<T>> {
  return ms.filter((m): m is MessageOf<T> => m.type === type);
}
