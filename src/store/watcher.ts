/**
 * One watcher: a key or range, the lowest revision it still needs (`minRev`), its filters and
 * where it stands in the hub (etcd `mvcc/watcher.go` and the synced/unsynced/victim sets of
 * `watchable_store.go`).
 */
import { compareBytes } from '../util/bytes.js';
import type { Event } from './types.js';
import type { CatchUpRead } from './watch-budget.js';
import type { WatchResponse } from './watch-types.js';

/**
 * - synced: has every event below `minRev` and gets new revisions straight from notify.
 * - unsynced: catching up from history, starting at `minRev`.
 * - victim: its stream's buffer was full; holds one undelivered response (`pending`).
 * - done: canceled, compacted or its stream closed.
 */
export type WatcherState = 'synced' | 'unsynced' | 'victim' | 'done';

/**
 * An event-bearing response on its way to a consumer: its size (`eventBytes` of its events) and,
 * for a catch-up response, the history read it holds a reference to (released when it leaves).
 */
export interface OutgoingEvents {
  readonly response: WatchResponse;
  readonly bytes: number;
  readonly read?: CatchUpRead;
}

/** A response a victim could not deliver, and where the watcher resumes once it is delivered. */
export interface PendingResponse extends OutgoingEvents {
  readonly nextMinRev: number;
}

/** What a watcher needs from the stream that owns it. */
export interface WatcherSink {
  /**
   * Enqueues an event-bearing response; false when the buffer is full (never waits). On success
   * the stream owns `out.read`'s reference; on failure the caller still does.
   */
  tryPushEvents(watcher: Watcher, out: OutgoingEvents): boolean;
  /** Whether a response of ordinary size would be taken now (catch-up reads only for these). */
  hasRoom(): boolean;
  /** Enqueues a progress notification or compaction cancel; false when the buffer is full. */
  tryPushNotice(response: WatchResponse): boolean;
  /** Drops a watcher the hub ended (compaction), freeing its ID. */
  forget(watcher: Watcher): void;
}

/** What a stream decides when it creates a watcher. */
export type WatcherSpec = Pick<Watcher, 'id' | 'key' | 'end' | 'noPut' | 'noDelete' | 'prevKv' | 'fragment' | 'progressNotify'>;

/** A byte key as a map key: latin1 maps each byte to one UTF-16 unit, so it is 1:1 and cheap. */
export function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

export class Watcher {
  readonly id: number;
  readonly key: Uint8Array;
  /** undefined: single key; empty: every key ≥ key; else [key, end). */
  readonly end: Uint8Array | undefined;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly prevKv: boolean;
  readonly fragment: boolean;
  readonly progressNotify: boolean;

  state: WatcherState = 'unsynced';
  /** The lowest revision this watcher has not yet been given. */
  minRev = 0;
  pending: PendingResponse | undefined;
  /** etcd's per-watch `progress[id]`: true when no events went out since the last progress tick. */
  progressDue: boolean;

  constructor(spec: WatcherSpec, readonly sink: WatcherSink) {
    this.id = spec.id;
    this.key = spec.key;
    this.end = spec.end;
    this.noPut = spec.noPut;
    this.noDelete = spec.noDelete;
    this.prevKv = spec.prevKv;
    this.fragment = spec.fragment;
    this.progressNotify = spec.progressNotify;
    this.progressDue = spec.progressNotify;
  }

  get isRange(): boolean {
    return this.end !== undefined;
  }

  contains(key: Uint8Array): boolean {
    if (this.end === undefined) return compareBytes(key, this.key) === 0;
    if (compareBytes(key, this.key) < 0) return false;
    return this.end.length === 0 || compareBytes(key, this.end) < 0;
  }

  /** The server-side filters (etcd's FilterFunc list: NOPUT, NODELETE). */
  accepts(event: Event): boolean {
    return event.type === 'PUT' ? !this.noPut : !this.noDelete;
  }
}
