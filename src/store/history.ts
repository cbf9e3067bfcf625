/**
 * Replaying history from the backend for the watch hub (etcd's watchableStore.syncWatchers reads
 * the key bucket by revision range and turns records into events).
 */
import type { Backend } from '../storage/backend.js';
import { decodeRecord, tombstoneKv } from './records.js';
import { decodeRevKey, revKeyLowerBound } from './revision.js';
import type { Event } from './types.js';

/** Events with main revision in [fromRev, toRev], never splitting a revision (see WatchSource). */
export async function readHistory(backend: Backend, fromRev: number, toRev: number, maxEvents: number): Promise<Event[]> {
  const events: Event[] = [];
  if (fromRev > toRev) return events;
  let lastMain = -1;
  for await (const [k, v] of backend.iterate('key', { gte: revKeyLowerBound(fromRev), lt: revKeyLowerBound(toRev + 1) })) {
    const { rev, tombstone } = decodeRevKey(k);
    if (events.length >= maxEvents && rev.main !== lastMain) break;
    const kv = decodeRecord(v);
    events.push(tombstone ? { type: 'DELETE', kv: tombstoneKv(kv.key, rev.main) } : { type: 'PUT', kv });
    lastMain = rev.main;
  }
  return events;
}
