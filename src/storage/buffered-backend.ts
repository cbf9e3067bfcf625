/**
 * Coalesces the apply path's small writes (etcd's batch tx). Applying a Ready of N entries writes
 * nothing to disk by itself: the effects wait here, visible to reads at once, and land in the
 * data dir's next synced batch, beside the next Ready's entries (`landThrough`: the WAL drains the
 * buffer into every synced batch it writes), so apply overlaps the next fsync.
 *
 * A buffered write is visible at once: `get()` answers from the pending ops first, and
 * `iterate()`, `snapshot()` and `restore()` flush before they read. Ops are handed out in write
 * order and one `write()` is never split, so the durable backend is always a prefix of the write
 * history: an entry's effects and its applied index land together or not at all. What a crash
 * takes from the buffer is re-applied from the WAL on restart (entries above the durable applied
 * index; the WAL never drops those: snapshot records and compaction carry the buffer with them).
 *
 * Every landing is synced (docs/architecture.md, "Storage invariant"). Pending ops are bounded
 * (count and bytes); past the bound a write flushes before it returns. Otherwise pending ops land
 * within `flushDelayMs` even if no Ready comes to carry them. A failed flush poisons the backend:
 * every later call throws, and the member stops.
 */
import { assert } from '../util/assert.js';
import { KvError } from '../util/errors.js';
import { iterateBatches, type Backend, type BackendOp, type BackendSnapshot, type BucketName, type IterateOptions, type WriteOptions } from './backend.js';

const MAX_PENDING_OPS = 10_000;
const MAX_PENDING_BYTES = 16 << 20;
/**
 * Longest a pending op waits for a Ready to carry it before it is flushed on its own: etcd's
 * batch tx interval. Losing pending ops costs only re-applying their entries from the WAL, so
 * the wait is a matter of speed, not safety; a short one (5 ms was tried) adds a synced batch of
 * its own between Readies under load and cost 35% of put throughput (bench/RESULTS.md).
 */
export const FLUSH_DELAY_MS = 100;

/** Pending ops handed to a writer, which reports back; they stay visible until they land. */
export interface DrainedOps {
  readonly ops: readonly BackendOp[];
  landed(): void;
  failed(err: Error): void;
}

interface Pending {
  readonly op: BackendOp;
  /** Undefined for an unread delete (WriteOptions.unread): not in the overlay, always landed. */
  readonly slot: string | undefined;
  readonly seq: number;
}

function slotOf(bucket: BucketName, key: Uint8Array): string {
  return `${bucket}:${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')}`;
}

export class BufferedBackend implements Backend {
  private pending: Pending[] = [];
  private pendingBytes = 0;
  /** The newest pending or in-flight value per key (undefined = deleted), until it has landed. */
  private readonly overlay = new Map<string, { readonly value: Uint8Array | undefined; readonly seq: number }>();
  private seq = 0;
  private tail: Promise<void> = Promise.resolve();
  private scheduled: { cancel(): void } | undefined;
  private failed: Error | undefined;
  private closed = false;
  /** Lands everything pending when it runs, synced (the WAL's flushCarried); unset: write to `inner`. */
  private writer: (() => Promise<void>) | undefined;
  /** Drained batches not yet landed (their ops are in the overlay, not yet in `inner`), and their bytes. */
  private inFlight = 0;
  private inFlightBytes = 0;
  /** The newest op's seq among the batches landed so far (batches land in drain order). */
  private landedSeq = 0;
  /** `landed()` callers waiting for a drained batch to land, with the seq they wait for. */
  private landWaiters: Array<{ readonly seq: number; readonly resolve: () => void; readonly reject: (err: Error) => void }> = [];

  constructor(
    readonly inner: Backend,
    private readonly flushDelayMs = FLUSH_DELAY_MS,
  ) {}

  /**
   * From now on `flush()` asks `writer` to land the pending ops; `writer` must take them with
   * `drain()` when its batch is assembled and report back. The data dir passes its WAL here, so
   * backend writes and WAL records share one serialized stream of synced LevelDB batches.
   */
  landThrough(writer: () => Promise<void>): void {
    this.writer = writer;
  }

  /** Hands out every pending op, in write order, or undefined when none is pending. */
  drain(): DrainedOps | undefined {
    if (this.pending.length === 0) return undefined;
    const batch = this.pending;
    const bytes = this.pendingBytes;
    const lastSeq = (batch[batch.length - 1] as Pending).seq;
    this.pending = [];
    this.pendingBytes = 0;
    this.inFlight++;
    this.inFlightBytes += bytes;
    return {
      // Only the newest op per key: an older one is overwritten within the same atomic batch
      // (every newer write to its key is pending too, as drains take all). The applied index,
      // written with every entry, lands once per batch instead of once per entry.
      ops: batch.filter((p) => p.slot === undefined || this.overlay.get(p.slot)?.seq === p.seq).map((p) => p.op),
      landed: () => {
        this.inFlight--;
        this.inFlightBytes -= bytes;
        for (const p of batch) {
          if (p.slot !== undefined && this.overlay.get(p.slot)?.seq === p.seq) this.overlay.delete(p.slot);
        }
        this.landedSeq = Math.max(this.landedSeq, lastSeq);
        this.wakeLandWaiters();
      },
      failed: (err) => {
        this.inFlight--;
        this.inFlightBytes -= bytes;
        this.failed ??= err;
        this.wakeLandWaiters();
      },
    };
  }

  async get(bucket: BucketName, key: Uint8Array): Promise<Uint8Array | undefined> {
    this.check();
    const hit = this.overlay.get(slotOf(bucket, key));
    if (hit !== undefined) return hit.value;
    return this.inner.get(bucket, key);
  }

  /** Pending values answer from the overlay; the rest in one read of the store. */
  async getMany(bucket: BucketName, keys: readonly Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
    this.check();
    // Nothing pending or landing (a read-mostly member): no per-key slot string to build.
    if (this.overlay.size === 0) return this.inner.getMany(bucket, keys);
    const out = new Array<Uint8Array | undefined>(keys.length);
    const missing: number[] = [];
    keys.forEach((key, i) => {
      const hit = this.overlay.get(slotOf(bucket, key));
      if (hit !== undefined) out[i] = hit.value;
      else missing.push(i);
    });
    if (missing.length > 0) {
      const read = await this.inner.getMany(bucket, missing.map((i) => keys[i] as Uint8Array));
      missing.forEach((i, j) => {
        out[i] = read[j];
      });
    }
    return out;
  }

  iterate(bucket: BucketName, options?: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]> {
    return this.afterFlush((inner) => inner.iterate(bucket, options));
  }

  iterateBatches(bucket: BucketName, options?: IterateOptions): AsyncIterable<Array<[Uint8Array, Uint8Array]>> {
    return this.afterFlush((inner) => iterateBatches(inner, bucket, options));
  }

  /** A read of the inner backend that starts once every buffered write has landed. */
  private afterFlush<T>(read: (inner: Backend) => AsyncIterable<T>): AsyncIterable<T> {
    this.check();
    const flushed = this.flush();
    // Awaited below; a failure must not go unhandled if the caller never starts iterating.
    flushed.catch(() => undefined);
    const inner = this.inner;
    return (async function* () {
      await flushed;
      yield* read(inner);
    })();
  }

  async write(ops: readonly BackendOp[], options?: WriteOptions): Promise<void> {
    this.check();
    if (options?.unread === true) {
      for (const op of ops) {
        assert(op.type === 'del', 'buffered backend: an unread write holds only deletes');
        this.pending.push({ op, slot: undefined, seq: ++this.seq });
        this.pendingBytes += op.key.length;
      }
      return this.afterWrite(options);
    }
    for (const written of ops) {
      // Copies: a caller reusing its buffers must not change what is pending.
      const op: BackendOp = written.type === 'put'
        ? { type: 'put', bucket: written.bucket, key: written.key.slice(), value: written.value.slice() }
        : { type: 'del', bucket: written.bucket, key: written.key.slice() };
      const slot = slotOf(op.bucket, op.key);
      const seq = ++this.seq;
      this.pending.push({ op, slot, seq });
      this.pendingBytes += op.key.length + (op.type === 'put' ? op.value.length : 0);
      this.overlay.set(slot, { value: op.type === 'put' ? op.value : undefined, seq });
    }
    return this.afterWrite(options);
  }

  private afterWrite(options: WriteOptions | undefined): Promise<void> {
    if (options?.sync === true || this.pending.length >= MAX_PENDING_OPS || this.pendingBytes >= MAX_PENDING_BYTES) {
      return this.flush();
    }
    this.scheduleFlush();
    return Promise.resolve();
  }

  /**
   * Resolves once every write made so far has landed, adding a synced batch only for ops no batch
   * has taken yet: ops already drained into one being written (a Ready's, carried by the WAL) are
   * waited for, where `flush()` would queue an empty synced batch behind it. Compaction paces its
   * deletes on this, so it never runs ahead of the disk (issue 18).
   */
  landed(): Promise<void> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    if (this.pending.length > 0) return this.flush();
    if (this.inFlight === 0 || this.landedSeq >= this.seq) return Promise.resolve();
    return new Promise((resolve, reject) => this.landWaiters.push({ seq: this.seq, resolve, reject }));
  }

  private wakeLandWaiters(): void {
    const failed = this.failed;
    const waiting = this.landWaiters;
    this.landWaiters = [];
    for (const w of waiting) {
      if (failed !== undefined) w.reject(failed);
      else if (w.seq <= this.landedSeq) w.resolve();
      else this.landWaiters.push(w);
    }
  }

  /** Lands every op pending now in a synced batch; resolves when it has landed. */
  flush(): Promise<void> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    if (this.writer !== undefined) {
      // Nothing to land and nothing landing: reads of `inner` are already complete.
      if (this.pending.length === 0 && this.inFlight === 0) return Promise.resolve();
      return this.writer();
    }
    const drained = this.drain();
    const landed = this.tail.then(async () => {
      if (this.failed !== undefined) throw this.failed;
      if (drained === undefined) return;
      try {
        await this.inner.write(drained.ops, { sync: true });
      } catch (err) {
        drained.failed(err instanceof Error ? err : new Error(String(err)));
        throw this.failed;
      }
      drained.landed();
    });
    this.tail = landed.catch(() => undefined);
    return landed;
  }

  async snapshot(): Promise<BackendSnapshot> {
    this.check();
    await this.flush();
    return this.inner.snapshot();
  }

  async restore(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    this.check();
    await this.flush();
    return this.inner.restore(chunks);
  }

  /** Lands what is pending first, so the deletes it holds are compacted too. */
  async defragment(): Promise<void> {
    this.check();
    await this.flush();
    return this.inner.defragment();
  }

  /** The store's size plus what has not landed yet; never waits for a flush (each is an fsync). */
  async sizeBytes(): Promise<number> {
    this.check();
    const notLanded = this.pendingBytes + this.inFlightBytes;
    return (await this.inner.sizeBytes()) + notLanded;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.failed === undefined && this.pending.length > 0) await this.flush();
    } finally {
      this.closed = true;
      this.scheduled?.cancel();
      this.scheduled = undefined;
      await this.inner.close();
    }
  }

  /** Ops written but not yet handed to the inner backend. */
  get pendingOps(): number {
    return this.pending.length;
  }

  private scheduleFlush(): void {
    if (this.scheduled !== undefined) return;
    const run = () => {
      this.scheduled = undefined;
      // A failure is kept in `failed` and surfaces at the next call.
      if (this.pending.length > 0 && !this.closed && this.failed === undefined) this.flush().catch(() => undefined);
    };
    // 0: the next turn of the event loop, which keeps an all-in-memory simulation deterministic.
    if (this.flushDelayMs === 0) {
      const handle = setImmediate(run);
      this.scheduled = { cancel: () => clearImmediate(handle) };
    } else {
      const handle = setTimeout(run, this.flushDelayMs);
      this.scheduled = { cancel: () => clearTimeout(handle) };
    }
  }

  private check(): void {
    if (this.failed !== undefined) throw new KvError('Stopped', `backend write failed earlier: ${this.failed.message}`);
    if (this.closed) throw new KvError('Stopped', 'backend is closed');
  }
}
