/**
 * Watch stream types (etcd-gateway.md §2.3, §6). A WatchStream is one etcd watch stream: many
 * watches multiplexed, requests in through `send`, responses out as an async iterable.
 */
import type { Event, ResponseHeader } from './kv-types.js';

/** Field names match src/store/watch-types.ts so the member can pass these through. */
export interface WatchCreateRequest {
  readonly key: Uint8Array;
  /** Absent/empty: the single key; `[0]`: every key ≥ key; else [key, rangeEnd). */
  readonly rangeEnd?: Uint8Array;
  /** 0/absent: events after the current revision; else every event with revision ≥ this. */
  readonly startRevision?: number;
  readonly progressNotify?: boolean;
  /** etcd's filters NOPUT / NODELETE. */
  readonly noPut?: boolean;
  readonly noDelete?: boolean;
  readonly prevKv?: boolean;
  /** 0/absent: the stream assigns the next free ID. */
  readonly watchId?: number;
  readonly fragment?: boolean;
}

export type WatchRequest =
  | { readonly type: 'create'; readonly request: WatchCreateRequest }
  | { readonly type: 'cancel'; readonly watchId: number }
  | { readonly type: 'progress' };

export interface WatchResponse {
  /** A compaction cancel carries a header whose revision is 0. */
  readonly header: ResponseHeader;
  readonly watchId: number;
  readonly created?: boolean;
  readonly canceled?: boolean;
  readonly compactRevision?: number;
  readonly cancelReason?: string;
  readonly fragment?: boolean;
  readonly events?: readonly Event[];
}

/**
 * One watch stream. Iterating yields responses until the stream is closed (the iterator then
 * finishes) or fails (it throws a KvError, e.g. `etcdserver: no leader`). Iterate once.
 */
export interface WatchStream extends AsyncIterable<WatchResponse> {
  /** Queue a create, cancel or progress request; ignored after close. */
  send(request: WatchRequest): void;
  /** Cancel every watch of the stream and end the iteration. Idempotent. */
  close(): void;
  /**
   * Optional: the next response if one is buffered now, taken, else undefined (wait by iterating).
   * Only between iterations, never while a `next` is pending. A writer draining a burst uses it
   * to avoid a promise per response.
   */
  takeReady?(): WatchResponse | undefined;
}
