/**
 * KV request and response types: etcd's rpc.proto in camelCase, bytes as Uint8Array and int64
 * as safe-integer numbers (etcd-gateway.md §2.1–2.2, §4). Optional fields mean proto3's zero value.
 */

/** Every response's header (etcd's ResponseHeader); 0 means "not set" and is omitted on the wire. */
export interface ResponseHeader {
  readonly clusterId: bigint;
  readonly memberId: bigint;
  /** Store revision after the request (reads: the current revision). */
  readonly revision: number;
  readonly raftTerm: number;
}

export interface KeyValue {
  readonly key: Uint8Array;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly value: Uint8Array;
  /** Attached lease ID, 0 for none. */
  readonly lease: bigint;
}

export type EventType = 'PUT' | 'DELETE';

export interface Event {
  readonly type: EventType;
  /** For DELETE: key and modRevision (the delete's revision) only. */
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

/** Server-side options of a range that never travel on the wire. */
export interface RangeCallOptions {
  /** Charged with the response's bytes as its values are read; may wait (a member-wide budget). */
  charge?(bytes: number): Promise<void>;
}

export interface RangeRequest {
  readonly key: Uint8Array;
  /** Absent/empty: exactly `key`; `[0]`: every key ≥ key; otherwise [key, rangeEnd). */
  readonly rangeEnd?: Uint8Array;
  readonly limit?: number;
  /** ≤ 0: the current revision. */
  readonly revision?: number;
  readonly sortOrder?: SortOrder;
  readonly sortTarget?: SortTarget;
  readonly serializable?: boolean;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}

export interface RangeResponse {
  readonly header: ResponseHeader;
  readonly kvs: readonly KeyValue[];
  readonly more?: boolean;
  /** Keys in the range before limit and min/max filters. */
  readonly count: number;
}

export interface PutRequest {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly lease?: bigint;
  readonly prevKv?: boolean;
  readonly ignoreValue?: boolean;
  readonly ignoreLease?: boolean;
}

export interface PutResponse {
  readonly header: ResponseHeader;
  readonly prevKv?: KeyValue;
}

export interface DeleteRangeRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly prevKv?: boolean;
}

export interface DeleteRangeResponse {
  readonly header: ResponseHeader;
  readonly deleted: number;
  readonly prevKvs?: readonly KeyValue[];
}

export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';

export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';

/**
 * etcd's Compare: `target` picks the key's field and the operand field it is compared with (the
 * proto's `target_union`); a missing operand compares as 0 / empty bytes. Defaults EQUAL, VERSION.
 * Same shape as src/store/requests.ts.
 */
export interface Compare {
  readonly result?: CompareResult;
  readonly target?: CompareTarget;
  readonly key: Uint8Array;
  /** As in Range; the compare must hold for every key in the range. */
  readonly rangeEnd?: Uint8Array;
  readonly version?: number;
  readonly createRevision?: number;
  readonly modRevision?: number;
  readonly value?: Uint8Array;
  readonly lease?: bigint;
}


export type RequestOp =
  | { readonly type: 'range'; readonly request: RangeRequest }
  | { readonly type: 'put'; readonly request: PutRequest }
  | { readonly type: 'deleteRange'; readonly request: DeleteRangeRequest }
  | { readonly type: 'txn'; readonly request: TxnRequest };

export type ResponseOp =
  | { readonly type: 'range'; readonly response: RangeResponse }
  | { readonly type: 'put'; readonly response: PutResponse }
  | { readonly type: 'deleteRange'; readonly response: DeleteRangeResponse }
  | { readonly type: 'txn'; readonly response: TxnResponse };

/** Absent lists are empty (the decoder always fills them). */
export interface TxnRequest {
  readonly compare?: readonly Compare[];
  readonly success?: readonly RequestOp[];
  readonly failure?: readonly RequestOp[];
}

export interface TxnResponse {
  readonly header: ResponseHeader;
  readonly succeeded: boolean;
  readonly responses: readonly ResponseOp[];
}

export interface CompactionRequest {
  readonly revision: number;
  /** Return only once the backend has physically dropped the old revisions. */
  readonly physical?: boolean;
}

export interface CompactionResponse {
  readonly header: ResponseHeader;
}
