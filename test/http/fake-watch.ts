/**
 * The fake service's watch stream: etcd's per-stream watch IDs, created/canceled replies,
 * replay from a start revision, compaction cancels, filters, prev_kv, progress replies, and
 * one response per committed revision. Responses queue (bounded) until the consumer pulls.
 */
import type { Event, ResponseHeader, WatchCreateRequest, WatchRequest, WatchResponse, WatchStream } from '../../src/api/kv.js';
import { compareBytes } from '../../src/util/bytes.js';
import { KvError } from '../../src/util/errors.js';
import type { FakeStore } from './fake-store.js';
import { inRange } from './fake-store.js';

const MAX_QUEUED = 10_000;

interface Watcher {
  readonly id: number;
  readonly req: WatchCreateRequest;
}

export class FakeWatchStream implements WatchStream {
  private readonly queue: WatchResponse[] = [];
  private readonly watchers = new Map<number, Watcher>();
  private nextId = 0;
  private wake: (() => void) | undefined;
  private closed = false;
  private failure: KvError | undefined;
  private readonly onCommit = (revision: number, events: readonly Event[]): void => {
    for (const w of this.watchers.values()) this.deliver(w, revision, events);
  };

  constructor(
    private readonly store: FakeStore,
    private readonly header: (revision: number) => ResponseHeader,
    private readonly onClose: (s: FakeWatchStream) => void,
  ) {
    store.listeners.add(this.onCommit);
  }

  get watchCount(): number {
    return this.watchers.size;
  }

  private push(res: WatchResponse): void {
    if (this.closed) return;
    if (this.queue.length >= MAX_QUEUED) {
      this.fail(new KvError('WatchCanceled'));
      return;
    }
    this.queue.push(res);
    this.wake?.();
  }

  private deliver(w: Watcher, revision: number, events: readonly Event[]): void {
    const r = w.req;
    const matching = events
      .filter((e) => inRange(e.kv.key, r.key, r.rangeEnd))
      .filter((e) => !(e.type === 'PUT' && r.noPut) && !(e.type === 'DELETE' && r.noDelete))
      .map((e) => (r.prevKv || e.prevKv === undefined ? e : { type: e.type, kv: e.kv }));
    if (matching.length > 0) this.push({ header: this.header(revision), watchId: w.id, events: matching });
  }

  send(request: WatchRequest): void {
    if (this.closed) return;
    switch (request.type) {
      case 'create': return this.create(request.request);
      case 'cancel': return this.cancel(request.watchId);
      case 'progress': return this.push({ header: this.header(this.store.revision), watchId: -1 });
    }
  }

  private create(req: WatchCreateRequest): void {
    const now = this.header(this.store.revision);
    const key = req.key.length === 0 ? new Uint8Array([0]) : req.key;
    const end = req.rangeEnd;
    const emptyRange = end !== undefined && end.length > 0 && !(end.length === 1 && end[0] === 0) && compareBytes(end, key) <= 0;
    const failCreate = (reason: string) =>
      this.push({ header: now, watchId: -1, created: true, canceled: true, cancelReason: reason });
    if (emptyRange) return failCreate('mvcc: watcher range is empty');
    let id = req.watchId ?? 0;
    if (id !== 0 && this.watchers.has(id)) return failCreate('mvcc: duplicate watch ID provided on the WatchStream');
    if (id === 0) {
      while (this.watchers.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    }
    this.push({ header: now, watchId: id, created: true });
    const start = req.startRevision ?? 0;
    if (start > 0 && start < this.store.compacted) {
      const noRevision = { ...now, revision: 0 };
      this.push({ header: noRevision, watchId: id, canceled: true, compactRevision: this.store.compacted });
      return;
    }
    const watcher = { id, req: { ...req, key } };
    if (start > 0) {
      for (const entry of this.store.log) {
        if (entry.revision >= start) this.deliver(watcher, entry.revision, entry.events);
      }
    }
    this.watchers.set(id, watcher);
  }

  private cancel(id: number): void {
    if (!this.watchers.delete(id)) return; // etcd: unknown ID, no reply
    this.push({ header: this.header(this.store.revision), watchId: id, canceled: true });
  }

  /** Ends the stream with an error (as a member losing its leader would). */
  fail(err: KvError): void {
    this.failure = err;
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.store.listeners.delete(this.onCommit);
    this.watchers.clear();
    this.onClose(this);
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchResponse> {
    for (;;) {
      const next = this.queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
