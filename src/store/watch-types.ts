/**
 * The watch hub's request and response shapes and its named limits. They mirror etcd's
 * `WatchCreateRequest` / `WatchResponse` (reference/etcd-gateway.md §2.3, §6) so the HTTP layer
 * maps them field for field.
 */
import type { Event } from './types.js';

export interface WatchRequest {
  readonly key: Uint8Array;
  /**
   * Absent or empty: the single key. `[0]` ("\0"): every key ≥ key (etcd's from-key watch).
   * Otherwise the half-open range [key, rangeEnd); rangeEnd ≤ key is `mvcc: watcher range is empty`.
   */
  readonly rangeEnd?: Uint8Array;
  /** 0 or absent: events after the current revision. Otherwise events with revision ≥ this. */
  readonly startRevision?: number;
  readonly noPut?: boolean;
  readonly noDelete?: boolean;
  readonly prevKv?: boolean;
  readonly progressNotify?: boolean;
  /** Split responses bigger than the stream's fragment threshold (etcd's `fragment`). */
  readonly fragment?: boolean;
  /** 0 or absent: the stream assigns the next free ID from 0 upward (etcd's AutoWatchID). */
  readonly watchId?: number;
}

/**
 * One message on a watch stream. `headerRevision` 0 means "no revision in the header" (etcd
 * sends the compaction cancel that way). A response with no events, no flags and a watch ID is a
 * progress notification; watchId -1 with no flags answers a stream-wide progress request.
 */
export interface WatchResponse {
  readonly watchId: number;
  readonly headerRevision: number;
  readonly events: readonly Event[];
  readonly created?: boolean;
  readonly canceled?: boolean;
  readonly cancelReason?: string;
  readonly compactRevision?: number;
  /** More pieces of the same logical response follow (only for watchers that asked for it). */
  readonly fragment?: boolean;
}

/** etcd's clientv3.InvalidWatchID: used for failed creations and stream-wide progress replies. */
export const INVALID_WATCH_ID = -1;

export const CANCEL_REASON = {
  emptyRange: 'mvcc: watcher range is empty',
  duplicateId: 'mvcc: duplicate watch ID provided on the WatchStream',
  invalidId: 'cairn: watch ID must be a non-negative safe integer',
  invalidStartRevision: 'cairn: start revision must be a non-negative safe integer',
  tooManyWatchers: 'cairn: too many watchers on this stream',
  /**
   * A consumer that took nothing for `slowConsumerCancelMs` while responses waited: etcd's
   * ErrGRPCWatchCanceled text (etcd itself buffers without limit; cairn bounds it, issue 15).
   */
  slowConsumer: 'etcdserver: watch canceled',
} as const;

export interface WatchHubOptions {
  /** Responses a stream buffers for its consumer (etcd's chanBufLen). */
  readonly streamBufferResponses: number;
  /**
   * Bytes of events a stream buffers for its consumer; once reached, the watcher becomes a
   * victim. The response that reaches it is taken whole (a revision is never split).
   */
  readonly streamBufferBytes: number;
  /** Extra room for control replies (created/canceled/progress) beyond the event buffer. */
  readonly streamControlSlack: number;
  readonly maxWatchersPerStream: number;
  /** Unsynced watchers handled per sync round (etcd's maxWatchersPerSync). */
  readonly maxWatchersPerSync: number;
  /** Events read from history per sync round (a bounded batch, not etcd's unbounded range). */
  readonly syncReadMaxEvents: number;
  /** Bytes of history read per sync round (ends at a revision boundary, so it may be exceeded by one). */
  readonly syncReadMaxBytes: number;
  /** Revisions in one response to an unsynced watcher (etcd's watchBatchMaxRevs). */
  readonly batchMaxRevisions: number;
  /** Bytes of events in one catch-up response: once reached, the next revision starts a new one. */
  readonly batchMaxBytes: number;
  /** Member-wide: bytes read from history for catch-up and not yet taken by consumers. */
  readonly catchUpMaxBytes: number;
  /**
   * A stream whose consumer takes nothing for this long while responses wait is stalled: its
   * watchers are canceled with `CANCEL_REASON.slowConsumer` and what it buffered is dropped.
   */
  readonly slowConsumerCancelMs: number;
  /** Period of the unsynced/victim catch-up loop (etcd's syncWatchersLoop: 100 ms). */
  readonly syncIntervalMs: number;
  /** etcd's --experimental-watch-progress-notify-interval: 10 min by default, at least 100 ms. */
  readonly progressNotifyIntervalMs: number;
  /** Responses above this many bytes are split for watchers with `fragment` (max-request-bytes + 512 KiB). */
  readonly fragmentBytes: number;
  /**
   * The largest response sent whole to a watcher without `fragment`: one revision with prev_kv
   * above it ends the stream with ResourceExhausted, as etcd's gRPC send fails. Not
   * --max-response-bytes: catch-up responses reach batchMaxBytes plus a revision, and a member
   * with a small range bound must still serve watches.
   */
  readonly wholeResponseMaxBytes: number;
}

export const DEFAULT_WATCH_HUB_OPTIONS: WatchHubOptions = {
  streamBufferResponses: 128,
  streamBufferBytes: 1024 * 1024,
  streamControlSlack: 64,
  maxWatchersPerStream: 10_000,
  maxWatchersPerSync: 512,
  syncReadMaxEvents: 1_000,
  syncReadMaxBytes: 4 * 1024 * 1024,
  batchMaxRevisions: 1_000,
  batchMaxBytes: 256 * 1024,
  catchUpMaxBytes: 64 * 1024 * 1024,
  slowConsumerCancelMs: 60_000,
  syncIntervalMs: 100,
  progressNotifyIntervalMs: 10 * 60 * 1000,
  fragmentBytes: 1_572_864 + 512 * 1024,
  wholeResponseMaxBytes: 64 * 1024 * 1024,
};

export const MIN_PROGRESS_NOTIFY_INTERVAL_MS = 100;
