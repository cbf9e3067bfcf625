/**
 * The store's public data types, shaped like etcd's mvccpb so the API layer maps them 1:1.
 * Revisions are safe integers.
 */
export interface KeyValue {
  readonly key: Uint8Array;
  /** Revision of the last creation of this key (0 for a deleted key in an event's kv). */
  readonly createRevision: number;
  readonly modRevision: number;
  /** Number of modifications since creation; a delete resets it to 0. */
  readonly version: number;
  readonly value: Uint8Array;
  /** Lease ID attached, 0 for none. */
  readonly lease: number;
}

export type EventType = 'PUT' | 'DELETE';

export interface Event {
  readonly type: EventType;
  /** For DELETE: key and modRevision (the delete's revision) only, as etcd sends it. */
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

/** etcd's `revision{main, sub}`: one main revision per write txn, `sub` counts ops inside it. */
export interface Revision {
  readonly main: number;
  readonly sub: number;
}
