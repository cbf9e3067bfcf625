/**
 * Replaying history from the backend for the watch hub (etcd's watchableStore.syncWatchers reads
 * the key bucket by revision range and turns records into events).
 */
import { assert } from '../util/assert.js';
import type { Backend } from '../storage/backend.js';
import { decodeRecord, tombstoneKv } from './records.js';
import { decodeRevKey, revKeyLowerBound } from './revision.js';
import type { Event } from './types.js';
import { eventBytes } from './watch-fragment.js';

/** Events with main revision in [fromRev, toRev], never splitting a revision (see WatchSource). */
export async function readHistory(backend: Backend, fromRev: number, toRev: number, maxEvents: number, maxBytes = Infinity): Promise<Event[]> {
  const events: Event[] = [];
  if (fromRev > toRev) return events;
  let lastMain = -1;
  let bytes = 0;
  for await (const [k, v] of backend.iterate('key', { gte: revKeyLowerBound(fromRev), lt: revKeyLowerBound(toRev + 1) })) {
    const { rev, tombstone } = decodeRevKey(k);
    if ((events.length >= maxEvents || bytes >= maxBytes) && rev.main !== lastMain) break;
    const kv = decodeRecord(v);
    const ev: Event = tombstone ? { type: 'DELETE', kv: tombstoneKv(kv.key, rev.main) } : { type: 'PUT', kv };
    events.push(ev);
    bytes += eventBytes(ev);
    lastMain = rev.main;
  }
  return events;
}

/** History must come back ordered and inside the asked window (checked on read-back). */
export function checkHistory(events: readonly Event[], fromRev: number, toRev: number): void {
  let prev = fromRev;
  for (const ev of events) {
    const rev = ev.kv.modRevision;
    assert(rev >= prev && rev <= toRev, () => `history event at revision ${rev} outside [${prev}, ${toRev}] or out of order`);
    prev = rev;
  }
}
