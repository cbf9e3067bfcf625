/**
 * Request and response types of the KV API, shaped like etcd's etcdserverpb messages
 * (RangeRequest, PutRequest, DeleteRangeRequest, TxnRequest, Compare, RequestOp, ResponseOp).
 * Keys and values are bytes; revisions and lease IDs are numbers. Optional fields default like
 * proto3 (0, false, empty). Responses carry no header: the server adds cluster/member/term, and
 * takes the header revision from `revision`, computed as etcd computes it.
 */
import type { KeyValue } from './types.js';

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

export interface RangeRequest {
  readonly key: Uint8Array;
  /** Absent or empty: the single key; `\0`: every key >= key; else [key, rangeEnd). */
  readonly rangeEnd?: Uint8Array;
  /** <= 0: no limit. */
  readonly limit?: number;
  /** <= 0: the current revision. */
  readonly revision?: number;
  readonly sortOrder?: SortOrder;
  readonly sortTarget?: SortTarget;
  /** Read from local applied state without a quorum round; the store itself ignores it. */
  readonly serializable?: boolean;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  /** Inclusive filters, 0 = off; applied before sort and limit, not counted in `count`. */
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}

export interface RangeResponse {
  /** Header revision: the store revision the range ran against (not the requested one). */
  readonly revision: number;
  readonly kvs: KeyValue[];
  readonly more: boolean;
  /** Keys in the range at the revision, before limit and filters. */
  readonly count: number;
}

export interface PutRequest {
  readonly key: Uint8Array;
  readonly value?: Uint8Array;
  /** 0: no lease (a put without a lease detaches the key's lease unless ignoreLease). */
  readonly lease?: number;
  readonly prevKv?: boolean;
  readonly ignoreValue?: boolean;
  readonly ignoreLease?: boolean;
}

export interface PutResponse {
  readonly revision: number;
  readonly prevKv?: KeyValue;
}

export interface DeleteRangeRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly prevKv?: boolean;
}

export interface DeleteRangeResponse {
  readonly revision: number;
  readonly deleted: number;
  /** Only with prevKv: the deleted pairs, in key order. */
  readonly prevKvs: KeyValue[];
  /**
   * Set when the deleted pairs came to more than the bound given (the size they had reached):
   * prevKvs is then empty, the deletes were applied. The answering member turns it into
   * ResourceExhausted, as etcd fails to send such a response after applying the delete.
   */
  readonly tooLarge?: number;
}

export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';

/**
 * etcd's Compare: `target` picks which field of the key is compared, and against which of the
 * union fields below (a missing one compares as 0 / empty bytes). Defaults: EQUAL, VERSION.
 */
export interface Compare {
  readonly result?: CompareResult;
  readonly target?: CompareTarget;
  readonly key: Uint8Array;
  /** As in RangeRequest: the compare must hold for every key in the range. */
  readonly rangeEnd?: Uint8Array;
  readonly version?: number;
  readonly createRevision?: number;
  readonly modRevision?: number;
  readonly value?: Uint8Array;
  readonly lease?: number;
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

export interface TxnRequest {
  readonly compare?: readonly Compare[];
  readonly success?: readonly RequestOp[];
  readonly failure?: readonly RequestOp[];
}

export interface TxnResponse {
  /**
   * Header revision: the txn's new revision if it wrote anything, else the current one. A nested
   * txn's response has 0 here, as etcd leaves a nested header empty (`"header":{}`).
   */
  readonly revision: number;
  readonly succeeded: boolean;
  readonly responses: ResponseOp[];
  /**
   * Set when the txn's ranges came to more than --max-response-bytes (the size they reached): the
   * ranges were cut short, the writes were applied. The answering member turns it into gRPC's
   * ResourceExhausted, as etcd fails to send such a response after applying the txn.
   */
  readonly tooLarge?: number;
}

export interface CompactResponse {
  /** Header revision: the current revision. */
  readonly revision: number;
  /** Resolves once the backend has dropped the old revisions (etcd's `physical: true` wait). */
  readonly physical: Promise<void>;
}

export interface HashKVResponse {
  readonly hash: number;
  /** Header revision: the current revision. */
  readonly revision: number;
  readonly compactRevision: number;
}
