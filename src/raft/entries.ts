/**
 * Sizes of log entries, used for every byte bound in the core (MsgApp batching, the inflight
 * window, committed entries per Ready, the uncommitted tail). etcd measures the protobuf size;
 * we count the payload plus a fixed per-entry overhead so empty entries are not free.
 */
import type { Entry } from './types.js';

/** Approximate encoded size of an entry's header (term, index, type). */
export const ENTRY_OVERHEAD_BYTES = 16;

export function entrySize(e: Entry): number {
  return e.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

export function entriesSize(ents: readonly Entry[]): number {
  let total = 0;
  for (const e of ents) total += entrySize(e);
  return total;
}

/**
 * Payload size only (etcd `payloadSize`): what counts against maxUncommittedEntriesSize. An
 * empty entry (the leader's no-op, the auto-leave conf change) has size 0 so it is never dropped.
 */
export function payloadsSize(ents: readonly Entry[]): number {
  let total = 0;
  for (const e of ents) total += e.data.byteLength;
  return total;
}

/**
 * The longest prefix of `ents` whose total size is within `maxSize`, but always at least one
 * entry so replication makes progress with oversized entries (etcd `limitSize`).
 */
export function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0] as Entry);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n] as Entry);
    if (size > maxSize) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

/** A map key for opaque byte contexts (ReadIndex request contexts). */
export function bytesKey(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
