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

/**
 * What the watch hub needs from the key-value store: history replay and prev_kv lookups.
 * `KvStore` implements it; tests may fake it.
 */
export interface WatchSource {
  currentRevision(): number;
  compactedRevision(): number;
  /**
   * Every event with main revision in [fromRev, toRev], in revision order, with no revision split:
   * stops after the revision in which `maxEvents` events or `maxBytes` bytes (`eventBytes`) are
   * reached (so it may return a little more).
   */
  readEvents(fromRev: number, toRev: number, maxEvents: number, maxBytes?: number): Promise<Event[]>;
  /** The key's value as of revision `rev` (for prev_kv), or undefined if absent then. */
  getAt(key: Uint8Array, rev: number): Promise<KeyValue | undefined>;
}

/** Called by KvStore after each write txn is durable in the backend, in revision order. */
export type CommitListener = (revision: number, events: readonly Event[]) => void;

/** How KvStore consults and informs the lessor on put/delete (etcd's lease.Lessor Attach/Detach). */
export interface LeaseHooks {
  exists(lease: number): boolean;
  attach(lease: number, key: Uint8Array): void;
  detach(lease: number, key: Uint8Array): void;
}
