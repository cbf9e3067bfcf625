/** Maintenance types (etcd-gateway.md §2.6). */
import type { ResponseHeader } from './kv-types.js';

export type AlarmType = 'NONE' | 'NOSPACE' | 'CORRUPT';
export type AlarmAction = 'GET' | 'ACTIVATE' | 'DEACTIVATE';

export interface AlarmRequest {
  readonly action: AlarmAction;
  /** Target of ACTIVATE/DEACTIVATE; GET lists every member's alarms. */
  readonly memberId?: bigint;
  readonly alarm?: AlarmType;
}

export interface AlarmMember {
  readonly memberId: bigint;
  readonly alarm: AlarmType;
}

export interface AlarmResponse {
  /** etcd 3.4 sends none; 3.5 does. */
  readonly header?: ResponseHeader;
  readonly alarms: readonly AlarmMember[];
}

export interface StatusResponse {
  readonly header: ResponseHeader;
  readonly version: string;
  readonly dbSize: number;
  /** Leader's member ID, 0 when there is none. */
  readonly leader: bigint;
  readonly raftIndex: number;
  readonly raftTerm: number;
  readonly raftAppliedIndex: number;
  readonly errors: readonly string[];
  readonly dbSizeInUse: number;
  readonly isLearner: boolean;
}

export interface HashResponse {
  readonly header: ResponseHeader;
  /** uint32 over the whole backend. */
  readonly hash: number;
}

export interface HashKVRequest {
  /** 0: the current revision. */
  readonly revision?: number;
}

export interface HashKVResponse {
  readonly header: ResponseHeader;
  readonly hash: number;
  readonly compactRevision: number;
}

/** etcd answers Defragment and MoveLeader with `{}`: no header. */
export interface DefragmentResponse {
  readonly header?: ResponseHeader;
}

export interface MoveLeaderRequest {
  readonly targetId: bigint;
}

export interface MoveLeaderResponse {
  readonly header?: ResponseHeader;
}

/** A point-in-time copy of the backend: its size up front, then its bytes in order. */
export interface Snapshot {
  readonly totalBytes: number;
  readonly chunks: AsyncIterable<Uint8Array>;
}

/** One message of the snapshot stream on the wire (etcd's SnapshotResponse). */
export interface SnapshotChunk {
  readonly header?: ResponseHeader;
  readonly remainingBytes: number;
  readonly blob: Uint8Array;
}
