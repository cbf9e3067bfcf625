/** Cluster membership types (etcd-gateway.md §2.5). Member IDs are safe integers. */
import type { ResponseHeader } from './kv-types.js';

export interface Member {
  readonly id: bigint;
  /** Empty for a member that has not started yet. */
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner?: boolean;
}

/** Cluster responses carry no revision in their header (etcd leaves it 0). */
export interface MemberListRequest {
  readonly linearizable?: boolean;
}

export interface MemberListResponse {
  readonly header: ResponseHeader;
  readonly members: readonly Member[];
}

export interface MemberAddRequest {
  readonly peerUrls: readonly string[];
  readonly isLearner?: boolean;
}

export interface MemberAddResponse {
  readonly header: ResponseHeader;
  readonly member: Member;
  readonly members: readonly Member[];
}

export interface MemberRemoveRequest {
  readonly id: bigint;
}

export interface MemberUpdateRequest {
  readonly id: bigint;
  readonly peerUrls: readonly string[];
}

export interface MemberPromoteRequest {
  readonly id: bigint;
}

/** Remove, update and promote all answer with the new member list. */
export type MemberRemoveResponse = MemberListResponse;
export type MemberUpdateResponse = MemberListResponse;
export type MemberPromoteResponse = MemberListResponse;
