/**
 * Splitting of large watch responses for watchers that asked for `fragment` (etcd v3rpc
 * `sendFragments`): a response of at least two events whose size reaches the limit is cut into
 * pieces with the same header; all pieces but the last carry `fragment: true`. Sizes are
 * protobuf-like estimates (bytes plus a small per-field overhead), as the gateway's JSON is
 * produced later by the HTTP layer.
 */
import type { Event, KeyValue } from './types.js';
import type { WatchResponse } from './watch-types.js';

/** Varint-encoded integers and field tags of one KeyValue, approximated generously. */
const KV_FIXED_BYTES = 48;
const EVENT_FIXED_BYTES = 8;
const RESPONSE_FIXED_BYTES = 64;

function kvBytes(kv: KeyValue): number {
  return KV_FIXED_BYTES + kv.key.length + kv.value.length;
}

export function eventBytes(ev: Event): number {
  return EVENT_FIXED_BYTES + kvBytes(ev.kv) + (ev.prevKv === undefined ? 0 : kvBytes(ev.prevKv));
}

export function responseBytes(resp: WatchResponse): number {
  let size = RESPONSE_FIXED_BYTES + (resp.cancelReason?.length ?? 0);
  for (const ev of resp.events) size += eventBytes(ev);
  return size;
}

export function fragmentResponse(resp: WatchResponse, maxBytes: number): WatchResponse[] {
  if (resp.events.length < 2 || responseBytes(resp) < maxBytes) return [resp];
  const pieces: WatchResponse[] = [];
  let current: Event[] = [];
  let size = RESPONSE_FIXED_BYTES;
  for (const ev of resp.events) {
    const bytes = eventBytes(ev);
    // Like etcd, a piece always takes at least one event, even an oversized one.
    if (current.length > 0 && size + bytes >= maxBytes) {
      pieces.push({ ...resp, events: current, fragment: true });
      current = [];
      size = RESPONSE_FIXED_BYTES;
    }
    current.push(ev);
    size += bytes;
  }
  pieces.push({ ...resp, events: current });
  return pieces;
}
