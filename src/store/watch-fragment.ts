/**
 * Sizes of watch events and responses, for buffers, catch-up batches and fragments
 * (`watch-shape.ts`). They are protobuf-like estimates (bytes plus a small per-field overhead),
 * as the gateway's JSON is produced later by the HTTP layer.
 */
import type { Event, KeyValue } from './types.js';

/** Varint-encoded integers and field tags of one KeyValue, approximated generously. */
const KV_FIXED_BYTES = 48;
const EVENT_FIXED_BYTES = 8;
export const RESPONSE_FIXED_BYTES = 64;

function kvBytes(kv: KeyValue): number {
  return KV_FIXED_BYTES + kv.key.length + kv.value.length;
}

export function eventBytes(ev: Event): number {
  return EVENT_FIXED_BYTES + kvBytes(ev.kv) + (ev.prevKv === undefined ? 0 : kvBytes(ev.prevKv));
}
