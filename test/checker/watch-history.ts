/**
 * Recorded watch streams and the committed event history they are judged against.
 * Keys and values are strings (convert store bytes with `watchEventFromStore`).
 */
import { fromUtf8 } from '../../src/util/bytes.js';
import { compareKeys, keyInRange } from './keys.js';
import type { Event } from '../../src/store/types.js';

export interface WatchEventRecord {
  readonly type: 'PUT' | 'DELETE';
  readonly key: string;
  /** PUT only. */
  readonly value?: string;
  /** The event's mod revision (the revision of the write). */
  readonly revision: number;
}

export interface WatchResponseRecord {
  readonly events: readonly WatchEventRecord[];
  readonly headerRevision: number;
  /** A progress notification: no events, "every event ≤ headerRevision was delivered". */
  readonly progressNotify?: boolean;
  /** More pieces of this logical response follow (etcd's fragment flag). */
  readonly fragment?: boolean;
  readonly canceled?: boolean;
  readonly compactRevision?: number;
}

export interface WatchRequestRecord {
  readonly key: string;
  /** undefined: the single key; '\0': every key ≥ key; else the half-open range [key, rangeEnd). */
  readonly rangeEnd?: string;
  /** 0 or undefined: from the current revision (etcd's default). */
  readonly startRevision?: number;
  readonly fragment?: boolean;
  readonly filters?: ReadonlyArray<'NOPUT' | 'NODELETE'>;
}

/** One watch (one watch id on one stream), from its created reply to its end. */
export interface WatchStreamRecord {
  readonly client: number;
  readonly request: WatchRequestRecord;
  /** Header revision of the created reply: a watch from "now" starts after it. */
  readonly createdRevision?: number;
  readonly responses: readonly WatchResponseRecord[];
}

export function watchEventFromStore(event: Event): WatchEventRecord {
  const key = fromUtf8(event.kv.key);
  return event.type === 'PUT'
    ? { type: 'PUT', key, value: fromUtf8(event.kv.value), revision: event.kv.modRevision }
    : { type: 'DELETE', key, revision: event.kv.modRevision };
}

/** The committed history from the store's commit listener (`CommitListener`), in revision order. */
export function watchHistoryFromCommits(commits: Iterable<{ revision: number; events: readonly Event[] }>): WatchEventRecord[] {
  const out: WatchEventRecord[] = [];
  for (const c of commits) for (const e of c.events) out.push(watchEventFromStore(e));
  return out;
}

export function matchesRequest(request: WatchRequestRecord, event: WatchEventRecord): boolean {
  if (request.filters?.includes(event.type === 'PUT' ? 'NOPUT' : 'NODELETE')) return false;
  return keyInRange(event.key, request.key, request.rangeEnd);
}

export const eventId = (e: WatchEventRecord): string => `${e.revision}\u0000${e.key}`;

export function sameEvent(a: WatchEventRecord, b: WatchEventRecord): boolean {
  return a.revision === b.revision && a.key === b.key && a.type === b.type && a.value === b.value;
}

export function describeEvent(e: WatchEventRecord): string {
  return `${e.type} ${e.key}${e.type === 'PUT' ? `=${JSON.stringify(e.value)}` : ''} @${e.revision}`;
}

export interface MergeConflict {
  readonly revision: number;
  readonly detail: string;
}

/**
 * The history as the watchers saw it, when the store's own is not at hand (etcd robustness's
 * `mergeWatchEventHistory`): the union of all delivered events, one per (revision, key);
 * watchers that disagree about an event are conflicts.
 */
export function mergeWatchHistory(streams: readonly WatchStreamRecord[]): { history: WatchEventRecord[]; conflicts: MergeConflict[] } {
  const byId = new Map<string, WatchEventRecord>();
  const conflicts: MergeConflict[] = [];
  for (const [i, s] of streams.entries()) {
    for (const r of s.responses) {
      for (const e of r.events) {
        const prior = byId.get(eventId(e));
        if (prior === undefined) byId.set(eventId(e), e);
        else if (!sameEvent(prior, e)) {
          conflicts.push({ revision: e.revision, detail: `watch ${i} saw ${describeEvent(e)}, another saw ${describeEvent(prior)}` });
        }
      }
    }
  }
  const history = [...byId.values()].sort((a, b) => a.revision - b.revision || compareKeys(a.key, b.key));
  return { history, conflicts };
}
