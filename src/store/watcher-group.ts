/**
 * A set of watchers indexed for event matching (etcd `mvcc/watcher_group.go`): single-key
 * watchers by key in a hash map, range watchers grouped by identical range so that many clients
 * watching one prefix cost one range check per event, not one per client.
 */
import { assert } from '../util/assert.js';
import type { Event } from './types.js';
import { eventBytes } from './watch-fragment.js';
import { keyString, type Watcher } from './watcher.js';

interface RangeEntry {
  readonly sample: Watcher;
  readonly watchers: Set<Watcher>;
}

/** The events one watcher gets from one batch (etcd's eventBatch). */
export interface EventBatch {
  readonly events: Event[];
  /** Distinct revisions in `events`. */
  revisions: number;
  /** Sum of `eventBytes` over `events`. */
  bytes: number;
  /** 0, or the first revision left out because the batch reached its revision or byte limit. */
  moreRev: number;
}

/** When a batch is full: a new revision is left out once either limit is reached. */
export interface BatchLimits {
  readonly maxRevisions: number;
  readonly maxBytes: number;
}

function rangeKey(w: Watcher): string {
  const end = w.end ?? new Uint8Array();
  return `${w.key.length}:${keyString(w.key)}${keyString(end)}`;
}

export class WatcherGroup implements Iterable<Watcher> {
  private readonly byKey = new Map<string, Set<Watcher>>();
  private readonly ranges = new Map<string, RangeEntry>();
  private readonly all = new Set<Watcher>();

  get size(): number {
    return this.all.size;
  }

  has(w: Watcher): boolean {
    return this.all.has(w);
  }

  [Symbol.iterator](): Iterator<Watcher> {
    return this.all.values();
  }

  add(w: Watcher): void {
    assert(!this.all.has(w), () => `watcher ${w.id} added twice`);
    this.all.add(w);
    if (w.isRange) {
      const rk = rangeKey(w);
      let entry = this.ranges.get(rk);
      if (entry === undefined) {
        entry = { sample: w, watchers: new Set() };
        this.ranges.set(rk, entry);
      }
      entry.watchers.add(w);
    } else {
      const k = keyString(w.key);
      let set = this.byKey.get(k);
      if (set === undefined) {
        set = new Set();
        this.byKey.set(k, set);
      }
      set.add(w);
    }
  }

  delete(w: Watcher): boolean {
    if (!this.all.delete(w)) return false;
    if (w.isRange) {
      const rk = rangeKey(w);
      const entry = this.ranges.get(rk);
      assert(entry !== undefined, 'range watcher missing from its range entry');
      entry.watchers.delete(w);
      if (entry.watchers.size === 0) this.ranges.delete(rk);
    } else {
      const k = keyString(w.key);
      const set = this.byKey.get(k);
      assert(set !== undefined, 'key watcher missing from its key set');
      set.delete(w);
      if (set.size === 0) this.byKey.delete(k);
    }
    return true;
  }

  /** Calls `fn` for every watcher whose key or range holds `key`. */
  forEachMatch(key: Uint8Array, fn: (w: Watcher) => void): void {
    const exact = this.byKey.get(keyString(key));
    if (exact !== undefined) for (const w of exact) fn(w);
    for (const entry of this.ranges.values()) {
      if (!entry.sample.contains(key)) continue;
      for (const w of entry.watchers) fn(w);
    }
  }

  /**
   * etcd's newWatcherBatch: for each watcher, the events (in order) it should get — those at or
   * above its minRev that pass its filters — capped at `maxRevisions` distinct revisions and,
   * past `maxBytes`, at a revision boundary, so one response never holds part of a revision.
   */
  batches(events: readonly Event[], limits: BatchLimits): Map<Watcher, EventBatch> {
    const out = new Map<Watcher, EventBatch>();
    for (const ev of events) {
      const rev = ev.kv.modRevision;
      this.forEachMatch(ev.kv.key, (w) => {
        if (rev < w.minRev || !w.accepts(ev)) return;
        let batch = out.get(w);
        if (batch === undefined) {
          batch = { events: [], revisions: 0, bytes: 0, moreRev: 0 };
          out.set(w, batch);
        }
        addToBatch(batch, ev, limits);
      });
    }
    return out;
  }
}

function addToBatch(batch: EventBatch, ev: Event, limits: BatchLimits): void {
  if (batch.moreRev !== 0) return;
  const last = batch.events[batch.events.length - 1];
  const rev = ev.kv.modRevision;
  if (last === undefined || rev > last.kv.modRevision) {
    if (batch.revisions >= limits.maxRevisions || batch.bytes >= limits.maxBytes) {
      batch.moreRev = rev;
      return;
    }
    batch.revisions++;
  }
  batch.events.push(ev);
  batch.bytes += eventBytes(ev);
}
