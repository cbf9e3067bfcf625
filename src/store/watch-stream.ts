/**
 * One client watch stream (etcd `mvcc/watcher.go` watchStream plus the send side of v3rpc's
 * watchServer): it assigns watch IDs, owns a bounded FIFO of responses shared by its watchers,
 * and hands them to one consumer as an async iterator. The hub pushes without ever waiting: a
 * full buffer turns the watcher into a victim (see WatchHub). prev_kv lookups and fragmenting
 * happen on the consumer's side, as etcd's sendLoop does them, so apply never waits on storage.
 */
import { assert } from '../util/assert.js';
import { compareBytes } from '../util/bytes.js';
import { KvError } from '../util/errors.js';
import type { WatchSource } from './types.js';
import { ResponseShaper } from './watch-shape.js';
import { RESPONSE_FIXED_BYTES } from './watch-fragment.js';
import { CANCEL_REASON, INVALID_WATCH_ID, type WatchHubOptions, type WatchRequest, type WatchResponse } from './watch-types.js';
import type { CatchUpRead } from './watch-budget.js';
import { Watcher, type OutgoingEvents, type WatcherSink } from './watcher.js';

/** What a stream needs from the hub that created it. */
export interface WatchHubLink {
  readonly options: WatchHubOptions;
  readonly source: WatchSource;
  /** The last revision the hub has been notified of (the watchers' view of "now"). */
  revision(): number;
  /** The hub's clock (ms), for telling a stalled consumer from a slow one. */
  now(): number;
  /** A stream's buffer went from empty to holding something or back: stalls are looked for meanwhile. */
  backlogChanged(stream: WatchStream, backlogged: boolean): void;
  register(w: Watcher, startRevision: number): void;
  unregister(w: Watcher): void;
  /** Retries this stream's victims after its consumer made room. */
  onDrain(stream: WatchStream): void;
  streamClosed(stream: WatchStream): void;
}

interface Queued {
  readonly response: WatchResponse;
  /** Set for event-bearing responses: the consumer side applies its prev_kv and fragment options. */
  readonly watcher: Watcher | undefined;
  /** `eventBytes` of the events (0 for control replies), counted against streamBufferBytes. */
  readonly bytes: number;
  readonly read?: CatchUpRead;
}

const QUEUE_COMPACT_AT = 1024;

export class WatchStream implements WatcherSink, AsyncIterable<WatchResponse> {
  private readonly watchers = new Map<number, Watcher>();
  private nextId = 0;
  /** Taken slots below `head` are cleared, so a taken response is not kept alive by the array. */
  private queue: (Queued | undefined)[] = [];
  private head = 0;
  private queuedBytes = 0;
  /** When the consumer last took a response, or the buffer last filled from empty; undefined when empty. */
  private waitingSince: number | undefined;
  /** The response being shaped for the consumer, piece by piece (prev_kv, fragments). */
  private shaping: ResponseShaper | undefined;
  private wake: (() => void) | undefined;
  private reading: Promise<unknown> = Promise.resolve();
  /** Calls of `next` that have not settled: while any has not, a new one queues behind them. */
  private readsInFlight = 0;
  private closed = false;
  private error: KvError | undefined;

  constructor(private readonly hub: WatchHubLink) {}

  /**
   * Creates a watcher and queues its `created` reply; returns its ID, or -1 if creation failed.
   * Requests on a closed stream do nothing: the consumer learns of the end from iteration.
   */
  watch(req: WatchRequest): number {
    if (this.closed) return INVALID_WATCH_ID;
    const rev = this.hub.revision();
    const fail = (reason: string): number => {
      this.pushControlOrDie({ watchId: INVALID_WATCH_ID, headerRevision: rev, events: [], created: true, canceled: true, cancelReason: reason });
      return INVALID_WATCH_ID;
    };
    const requestedId = req.watchId ?? 0;
    if (!Number.isSafeInteger(requestedId) || requestedId < 0) return fail(CANCEL_REASON.invalidId);
    const startRevision = req.startRevision ?? 0;
    if (!Number.isSafeInteger(startRevision) || startRevision < 0) return fail(CANCEL_REASON.invalidStartRevision);
    // etcd's v3rpc: an empty key means "\0"; range_end "\0" means every key ≥ key.
    const key = req.key.length === 0 ? new Uint8Array([0]) : req.key;
    let end: Uint8Array | undefined;
    if (req.rangeEnd !== undefined && req.rangeEnd.length > 0) {
      end = req.rangeEnd.length === 1 && req.rangeEnd[0] === 0 ? new Uint8Array() : req.rangeEnd;
      if (end.length > 0 && compareBytes(key, end) >= 0) return fail(CANCEL_REASON.emptyRange);
    }
    if (this.watchers.size >= this.hub.options.maxWatchersPerStream) return fail(CANCEL_REASON.tooManyWatchers);
    let id = requestedId;
    if (id === 0) {
      while (this.watchers.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    } else if (this.watchers.has(id)) {
      return fail(CANCEL_REASON.duplicateId);
    }
    const w = new Watcher(
      {
        id,
        key: key.slice(),
        end: end?.slice(),
        noPut: req.noPut ?? false,
        noDelete: req.noDelete ?? false,
        prevKv: req.prevKv ?? false,
        fragment: req.fragment ?? false,
        progressNotify: req.progressNotify ?? false,
      },
      this,
    );
    // The created reply is queued before the watcher can receive anything (etcd sends events
    // for a watch only after its created reply).
    if (!this.pushControlOrDie({ watchId: id, headerRevision: rev, events: [], created: true })) return INVALID_WATCH_ID;
    this.watchers.set(id, w);
    this.hub.register(w, startRevision);
    return id;
  }

  /** Answers a create refused before it reached the stream (auth): created, canceled, `reason`. */
  refuse(reason: string): void {
    if (this.closed) return;
    this.pushControlOrDie({ watchId: INVALID_WATCH_ID, headerRevision: this.hub.revision(), events: [], created: true, canceled: true, cancelReason: reason });
  }

  /** Cancels a watcher: true and a `canceled` reply if it existed; unknown IDs get no reply. */
  cancel(id: number): boolean {
    if (this.closed) return false;
    const w = this.watchers.get(id);
    if (w === undefined) return false;
    this.forget(w);
    this.pushControlOrDie({ watchId: id, headerRevision: this.hub.revision(), events: [], canceled: true });
    return true;
  }

  /**
   * etcd ≥ 3.5.13 `RequestProgress`: answered with watch ID -1 and the current revision only when
   * every watcher on the stream is synced (so the reply is a true bookmark); otherwise dropped
   * and the client retries. Returns whether a reply was queued.
   */
  requestProgress(): boolean {
    if (this.closed || this.watchers.size === 0) return false;
    for (const w of this.watchers.values()) if (w.state !== 'synced') return false;
    return this.pushControl({ watchId: INVALID_WATCH_ID, headerRevision: this.hub.revision(), events: [] });
  }

  /** Ends the stream: its watchers are removed and the consumer's iteration finishes. */
  close(): void {
    this.shutDown(undefined);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  watcherIds(): number[] {
    return [...this.watchers.keys()];
  }

  watchersOfStream(): IterableIterator<Watcher> {
    return this.watchers.values();
  }

  /** Responses waiting for the consumer (queued, plus the rest of one being shaped). */
  get buffered(): number {
    return this.queued + (this.shaping === undefined ? 0 : 1);
  }

  /** Takes every response available now without waiting for new ones (tests, batch writers). */
  async drainBuffered(): Promise<WatchResponse[]> {
    const out: WatchResponse[] = [];
    while (this.buffered > 0) {
      const resp = await this.next();
      if (resp === undefined) break;
      out.push(resp);
    }
    return out;
  }

  /**
   * The next response if one is buffered and needs no shaping, taken now; else undefined, and
   * the caller waits with `next`. Never ahead of a `next` that has not settled.
   */
  takeReadyNow(): WatchResponse | undefined {
    return this.readsInFlight === 0 ? this.takeReady() : undefined;
  }

  /** The next response, or undefined once the stream is closed and drained. */
  next(): Promise<WatchResponse | undefined> {
    if (this.readsInFlight === 0) {
      // Nothing to wait for and nothing to shape: taken now, without the chain of promises a
      // read behind others needs (per response, with 10,000 watchers of a key: issue 18).
      const ready = this.takeReady();
      if (ready !== undefined) return Promise.resolve(ready);
    }
    this.readsInFlight++;
    const result = this.reading.then(() => this.pull()).finally(() => this.readsInFlight--);
    this.reading = result.catch(() => undefined);
    return result;
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchResponse> {
    return {
      next: async () => {
        const value = await this.next();
        return value === undefined ? { done: true, value: undefined } : { done: false, value };
      },
      return: async () => {
        this.close();
        return { done: true, value: undefined };
      },
    };
  }

  // ---- called by the hub ----

  tryPushEvents(watcher: Watcher, out: OutgoingEvents): boolean {
    // Bounded in bytes too; the last response taken may overshoot it (a revision is never split).
    if (!this.hasRoom()) return false;
    this.enqueue({ response: out.response, watcher, bytes: out.bytes, read: out.read });
    watcher.progressDue = false;
    return true;
  }

  hasRoom(): boolean {
    return !this.closed && this.queued < this.hub.options.streamBufferResponses && this.queuedBytes < this.hub.options.streamBufferBytes;
  }

  /** Progress notifications and compaction cancels travel like events (dropped when full). */
  tryPushNotice(response: WatchResponse): boolean {
    if (this.closed || this.queued >= this.hub.options.streamBufferResponses) return false;
    this.enqueue({ response, watcher: undefined, bytes: 0 });
    return true;
  }

  /** How long the consumer has left waiting responses untaken (0 when nothing waits). */
  stalledForMs(now: number): number {
    return this.waitingSince === undefined ? 0 : now - this.waitingSince;
  }

  /**
   * The consumer stopped taking responses: every watcher is canceled with etcd's "watch
   * canceled" and what was buffered for it is dropped, so a stalled client holds neither memory
   * nor catch-up budget. The stream stays open; the cancels wait for the consumer.
   */
  cancelStalled(): void {
    if (this.closed || this.watchers.size === 0) return;
    const rev = this.hub.revision();
    const ids = [...this.watchers.keys()];
    for (const w of [...this.watchers.values()]) this.forget(w);
    this.dropBuffered();
    for (const id of ids) {
      const notice = { watchId: id, headerRevision: rev, events: [], canceled: true, cancelReason: CANCEL_REASON.slowConsumer };
      if (!this.pushControlOrDie(notice)) return;
    }
  }

  /** Removes a watcher the hub ended (compaction); its ID becomes free again. */
  forget(w: Watcher): void {
    if (this.watchers.get(w.id) !== w) return;
    this.watchers.delete(w.id);
    this.hub.unregister(w);
  }

  // ---- internals ----

  private get queued(): number {
    return this.queue.length - this.head;
  }

  private pushControl(response: WatchResponse): boolean {
    const limit = this.hub.options.streamBufferResponses + this.hub.options.streamControlSlack;
    if (this.closed || this.queued >= limit) return false;
    this.enqueue({ response, watcher: undefined, bytes: 0 });
    return true;
  }

  /** A client that sends requests but never reads replies overruns the stream: end it. */
  private pushControlOrDie(response: WatchResponse): boolean {
    if (this.pushControl(response)) return true;
    this.shutDown(new KvError('TooManyRequests'));
    return false;
  }

  private shutDown(error: KvError | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.error = error;
    for (const w of this.watchers.values()) this.hub.unregister(w);
    this.watchers.clear();
    this.dropBuffered();
    this.hub.streamClosed(this);
    this.wakeConsumer();
  }

  /** Empties the buffer, returning the catch-up budget its responses held. */
  private dropBuffered(): void {
    for (let i = this.head; i < this.queue.length; i++) this.queue[i]?.read?.release();
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.shaping = undefined;
    this.setWaiting(undefined);
  }

  private setWaiting(since: number | undefined): void {
    const was = this.waitingSince !== undefined;
    this.waitingSince = since;
    if (was !== (since !== undefined)) this.hub.backlogChanged(this, since !== undefined);
  }

  private enqueue(item: Queued): void {
    if (this.queued === 0) this.setWaiting(this.hub.now());
    this.queue.push(item);
    this.queuedBytes += item.bytes;
    this.wakeConsumer();
  }

  private wakeConsumer(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private dequeue(): Queued | undefined {
    if (this.head >= this.queue.length) return undefined;
    const item = this.queue[this.head];
    this.queue[this.head] = undefined;
    this.head++;
    if (this.head >= QUEUE_COMPACT_AT && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    assert(item !== undefined, 'watch stream buffer slot above head was empty');
    this.queuedBytes -= item.bytes;
    assert(this.queuedBytes >= 0, () => `watch stream buffer bytes went negative (${this.queuedBytes})`);
    // The consumer made progress: the stall clock restarts for whatever still waits.
    this.setWaiting(this.queued > 0 ? this.hub.now() : undefined);
    item.read?.release();
    return item;
  }

  /** The next response if it can be handed over as it is, taken; otherwise undefined and nothing taken. */
  private takeReady(): WatchResponse | undefined {
    if (this.closed || this.shaping !== undefined) return undefined;
    const first = this.queue[this.head];
    if (first === undefined) return undefined;
    if (first.watcher !== undefined && !needsNoShaping(first, this.hub.options.wholeResponseMaxBytes)) return undefined;
    const item = this.dequeue();
    this.hub.onDrain(this);
    return item?.response;
  }

  private async pull(): Promise<WatchResponse | undefined> {
    for (;;) {
      if (this.shaping !== undefined) {
        const shaper = this.shaping;
        let piece: WatchResponse | undefined;
        try {
          piece = await shaper.next();
        } catch (err) {
          // Too large to send whole: the stream ends as etcd's does when gRPC refuses the send.
          if (!(err instanceof KvError) || err.code !== 'ResponseTooLarge') throw err;
          this.shutDown(err);
        }
        // A stream closed while shaping delivers nothing more.
        if (this.closed) return this.endOfStream();
        if (this.shaping === shaper && shaper.done) this.shaping = undefined;
        if (piece !== undefined) return piece;
        continue;
      }
      const item = this.dequeue();
      if (item !== undefined) {
        this.hub.onDrain(this);
        if (item.watcher === undefined) return item.response;
        const { fragmentBytes, wholeResponseMaxBytes } = this.hub.options;
        if (needsNoShaping(item, wholeResponseMaxBytes)) return item.response;
        this.shaping = new ResponseShaper(this.hub.source, item.watcher, item.response, { fragmentBytes, maxBytes: wholeResponseMaxBytes });
        continue;
      }
      if (this.closed) return this.endOfStream();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private endOfStream(): undefined {
    if (this.error !== undefined) throw this.error;
    return undefined;
  }
}

/**
 * A response that goes out as the hub built it: its watcher wants neither prev_kv nor fragments,
 * no event carries a prev_kv to strip, and it is small enough to send whole. The shaper would
 * only copy it, and with 10,000 watchers on one key that copy per watcher per put was a large
 * part of a write's fan-out (issue 18); passed as is, every watcher shares one events array.
 */
function needsNoShaping(item: Queued, maxBytes: number): boolean {
  const w = item.watcher;
  if (w === undefined || w.prevKv || w.fragment || item.bytes + RESPONSE_FIXED_BYTES > maxBytes) return false;
  for (const ev of item.response.events) if (ev.prevKv !== undefined) return false;
  return true;
}
