/** etcd's v3lock and v3election messages (v3lockpb, v3electionpb), as the API's TS types. */
import type { KeyValue, ResponseHeader } from './kv-types.js';

export interface LockRequest {
  readonly name: Uint8Array;
  /** 0: the server grants a 60 s lease that nobody keeps alive. */
  readonly lease: bigint;
}

export interface LockResponse {
  readonly header: ResponseHeader;
  readonly key: Uint8Array;
}

export interface UnlockRequest {
  readonly key: Uint8Array;
}

/** UnlockResponse, ProclaimResponse and ResignResponse: only a header. */
export interface RecipeHeaderResponse {
  readonly header: ResponseHeader;
}

/** A candidate's key: `rev` is its create revision, which Proclaim and Resign check. */
export interface LeaderKey {
  readonly name: Uint8Array;
  readonly key: Uint8Array;
  readonly rev: number;
  readonly lease: bigint;
}

export interface CampaignRequest {
  readonly name: Uint8Array;
  readonly lease: bigint;
  readonly value: Uint8Array;
}

export interface CampaignResponse {
  readonly header: ResponseHeader;
  readonly leader: LeaderKey;
}

export interface ProclaimRequest {
  readonly leader?: LeaderKey;
  readonly value: Uint8Array;
}

export interface LeaderRequest {
  readonly name: Uint8Array;
}

export interface LeaderResponse {
  readonly header: ResponseHeader;
  readonly kv: KeyValue;
}

export interface ResignRequest {
  readonly leader?: LeaderKey;
}
