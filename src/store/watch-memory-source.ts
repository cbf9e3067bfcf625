/**
 * An in-memory WatchSource: a tiny MVCC model (revisions, versions, tombstones, compaction) for
 * watch hub unit tests, property tests and benchmarks, so they do not depend on KvStore. It keeps
 * every version in memory; it is a model, not a store.
 */
import { KvError } from '../util/errors.js';
import type { CommitListener, Event, KeyValue, WatchSource } from './types.js';
import { keyString } from './watcher.js';
import { eventBytes } from './watch-fragment.js';

/** A history read in progress: stops after the revision in which either limit is reached. */
interface HistoryRead {
  readonly events: Event[];
  bytes: number;
  full(): boolean;
}

export type ModelOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array; readonly lease?: number }
  | { readonly type: 'delete'; readonly key: Uint8Array };

interface Version {
  readonly rev: number;
  /** undefined: a tombstone. */
  readonly kv: KeyValue | undefined;
}

export class MemoryWatchSource implements WatchSource {
  /** etcd's empty store is at revision 1; the first write makes revision 2. */
  private rev = 1;
  private compacted = 0;
  private readonly history: { rev: number; events: Event[] }[] = [];
  private readonly versions = new Map<string, Version[]>();
  private readonly listeners: CommitListener[] = [];
  /** Tests set this to interleave work with a history read in flight. */
  readGate: (() => Promise<void>) | undefined;
  reads = 0;

  subscribe(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  /** Applies one txn as one revision; returns its events (none, and no new revision, if nothing changed). */
  apply(ops: readonly ModelOp[]): Event[] {
    const rev = this.rev + 1;
    const events: Event[] = [];
    for (const op of ops) {
      const prev = this.latest(op.key);
      const list = this.versions.get(keyString(op.key)) ?? [];
      if (op.type === 'put') {
        const kv: KeyValue = {
          key: op.key.slice(),
          createRevision: prev?.createRevision ?? rev,
          modRevision: rev,
          version: (prev?.version ?? 0) + 1,
          value: op.value.slice(),
          lease: op.lease ?? 0,
        };
        list.push({ rev, kv });
        events.push({ type: 'PUT', kv });
      } else {
        if (prev === undefined) continue;
        list.push({ rev, kv: undefined });
        events.push({ type: 'DELETE', kv: { key: op.key.slice(), createRevision: 0, modRevision: rev, version: 0, value: new Uint8Array(), lease: 0 } });
      }
      this.versions.set(keyString(op.key), list);
    }
    if (events.length === 0) return events;
    this.rev = rev;
    this.history.push({ rev, events });
    for (const listener of this.listeners) listener(rev, events);
    return events;
  }

  compact(rev: number): void {
    if (rev <= this.compacted) throw new KvError('Compacted');
    if (rev > this.rev) throw new KvError('FutureRev');
    this.compacted = rev;
    while (this.history.length > 0 && (this.history[0]?.rev ?? Infinity) < rev) this.history.shift();
  }

  latest(key: Uint8Array): KeyValue | undefined {
    const list = this.versions.get(keyString(key));
    return list?.[list.length - 1]?.kv;
  }

  currentRevision(): number {
    return this.rev;
  }

  compactedRevision(): number {
    return this.compacted;
  }

  async readEvents(fromRev: number, toRev: number, maxEvents: number, maxBytes = Infinity): Promise<Event[]> {
    this.reads++;
    if (fromRev < this.compacted) throw new KvError('Compacted');
    const read: HistoryRead = { events: [], bytes: 0, full: () => read.events.length >= maxEvents || read.bytes >= maxBytes };
    // Like a real store reading in chunks, the read is not atomic: the first half of the window
    // is taken before the gate, the rest after it (a compaction in between removes part of it).
    const mid = fromRev + Math.floor((toRev - fromRev) / 2);
    this.collect(fromRev, mid, read);
    if (this.readGate !== undefined) await this.readGate();
    if (!read.full()) this.collect(mid + 1, toRev, read);
    return read.events;
  }

  private collect(fromRev: number, toRev: number, read: HistoryRead): void {
    for (const entry of this.history) {
      if (entry.rev < fromRev) continue;
      if (entry.rev > toRev || read.full()) break;
      read.events.push(...entry.events);
      for (const ev of entry.events) read.bytes += eventBytes(ev);
    }
  }

  async getAt(key: Uint8Array, rev: number): Promise<KeyValue | undefined> {
    if (rev < this.compacted) throw new KvError('Compacted');
    const list = this.versions.get(keyString(key)) ?? [];
    let found: KeyValue | undefined;
    for (const v of list) {
      if (v.rev > rev) break;
      found = v.kv;
    }
    return found;
  }

  /** Every event ever applied with revision ≥ fromRev (for checking streams against the model). */
  eventsFrom(fromRev: number): Event[] {
    return this.history.filter((h) => h.rev >= fromRev).flatMap((h) => h.events);
  }
}
