/**
 * Raft messages as a discriminated union on `type` (etcd-io/raft `raftpb.MessageType`).
 * Local messages (hup, beat, propose, unreachable, snapStatus, checkQuorum, transferLeader,
 * forgetLeader, readIndex from the application) never cross the network; the rest do, and the
 * transport validates every decoded message against this shape before stepping it.
 */
import type { Entry, NodeId, Snapshot } from './types.js';

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  /** 0 for local messages and for proposals forwarded to the leader. */
  readonly term: number;
}

export type Message =
  | (Envelope & { readonly type: 'MsgHup' })
  | (Envelope & { readonly type: 'MsgBeat' })
  | (Envelope & { readonly type: 'MsgCheckQuorum' })
  | (Envelope & { readonly type: 'MsgProp'; readonly entries: readonly Entry[] })
  | (Envelope & {
      readonly type: 'MsgApp';
      /** Index and term of the entry preceding `entries` (Raft's prevLogIndex/prevLogTerm). */
      readonly index: number;
      readonly logTerm: number;
      readonly entries: readonly Entry[];
      readonly commit: number;
    })
  | (Envelope & {
      readonly type: 'MsgAppResp';
      readonly index: number;
      readonly reject: boolean;
      /** On reject: the follower's best guess of the match point, and the term there. */
      readonly rejectHint: number;
      readonly logTerm: number;
    })
  | (Envelope & {
      readonly type: 'MsgVote' | 'MsgPreVote';
      /** The candidate's last log index and term (§5.4.1 up-to-date check). */
      readonly index: number;
      readonly logTerm: number;
      /** True when the campaign follows a leader transfer (voters ignore their leader lease). */
      readonly transfer: boolean;
    })
  | (Envelope & { readonly type: 'MsgVoteResp' | 'MsgPreVoteResp'; readonly reject: boolean })
  | (Envelope & { readonly type: 'MsgSnap'; readonly snapshot: Snapshot })
  | (Envelope & { readonly type: 'MsgHeartbeat'; readonly commit: number; readonly context: Uint8Array })
  | (Envelope & { readonly type: 'MsgHeartbeatResp'; readonly context: Uint8Array })
  | (Envelope & { readonly type: 'MsgUnreachable' })
  | (Envelope & { readonly type: 'MsgSnapStatus'; readonly reject: boolean })
  | (Envelope & { readonly type: 'MsgTransferLeader' })
  | (Envelope & { readonly type: 'MsgTimeoutNow' })
  | (Envelope & { readonly type: 'MsgReadIndex'; readonly context: Uint8Array })
  | (Envelope & { readonly type: 'MsgReadIndexResp'; readonly index: number; readonly context: Uint8Array })
  | (Envelope & { readonly type: 'MsgForgetLeader' });

export type MessageType = Message['type'];

/** The message shape(s) with type T (also for members that share a shape, like MsgVote/MsgPreVote). */
export type MessageOf<T extends MessageType> = Message extends infer M
  ? M extends { readonly type: infer U }
    ? T extends U
      ? M
      : never
    : never
  : never;

/** Messages the application feeds in itself; they never go over the wire. */
export const LOCAL_MESSAGE_TYPES: ReadonlySet<MessageType> = new Set<MessageType>([
  'MsgHup',
  'MsgBeat',
  'MsgCheckQuorum',
  'MsgUnreachable',
  'MsgSnapStatus',
  'MsgForgetLeader',
]);

export function isResponse(type: MessageType): boolean {
  return (
    type === 'MsgAppResp' ||
    type === 'MsgVoteResp' ||
    type === 'MsgPreVoteResp' ||
    type === 'MsgHeartbeatResp' ||
    type === 'MsgReadIndexResp'
  );
}
