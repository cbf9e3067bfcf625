/**
 * Coalesces the apply path's small writes into one backend batch (etcd's batch tx, which commits
 * every 100 ms or 10,000 ops; here once per applied Ready). Applying a Ready of N entries used
 * to cost N sequential LevelDB writes; now it costs one, issued by `flush()`.
 *
 * A buffered write is visible at once: `get()` answers from the pending ops first, and
 * `iterate()`, `snapshot()` and `restore()` flush before they read. Batches reach the inner
 * backend one at a time, in write order, so a later write to a key always lands after an earlier
 * one. Nothing here weakens durability: backend writes were never synced on their own (the WAL's
 * synced batch is the durable record, and a restart re-applies entries beyond the backend's
 * recorded applied index), the applier flushes before raft moves on (apply.ts), and the data
 * dir's WAL flushes before each of its writes (KvWal.orderAfter), so the one LevelDB log keeps
 * its order: a synced WAL batch still covers every backend write made before it.
 *
 * Pending ops are bounded (count and bytes); past the bound a write flushes before it returns.
 * Writes queued outside an apply (background compaction) are flushed on the next turn of the
 * event loop. A failed flush poisons the backend: every later call throws, and the member stops.
 */
import { KvError } from '../util/errors.js';
import type { Backend, BackendOp, BackendSnapshot, BucketName, IterateOptions, WriteOptions } from './backend.js';

const MAX_PENDING_OPS = 10_000;
const MAX_PENDING_BYTES = 16 << 20;

interface Pending {
  readonly op: BackendOp;
  readonly slot: string;
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
  private scheduled = false;
  private failed: Error | undefined;
  private closed = false;

  constructor(readonly inner: Backend) {}

  async get(bucket: BucketName, key: Uint8Array): Promise<Uint8Array | undefined> {
    this.check();
    const hit = this.overlay.get(slotOf(bucket, key));
    if (hit !== undefined) return hit.value;
    return this.inner.get(bucket, key);
  }

  iterate(bucket: BucketName, options?: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.check();
    const flushed = this.flush();
    // Awaited below; a failure must not go unhandled if the caller never starts iterating.
    flushed.catch(() => undefined);
    const inner = this.inner;
    return (async function* () {
      await flushed;
      yield* inner.iterate(bucket, options);
    })();
  }

  async write(ops: readonly BackendOp[], options?: WriteOptions): Promise<void> {
    this.check();
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
    if (options?.sync === true || this.pending.length >= MAX_PENDING_OPS || this.pendingBytes >= MAX_PENDING_BYTES) {
      return this.flush(options);
    }
    this.scheduleFlush();
  }

  /** Sends every pending op to the inner backend as one batch; resolves when it has landed. */
  flush(options?: WriteOptions): Promise<void> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const landed = this.tail.then(async () => {
      if (this.failed !== undefined) throw this.failed;
      if (batch.length === 0) return;
      try {
        await this.inner.write(batch.map((p) => p.op), options);
      } catch (err) {
        this.failed = err instanceof Error ? err : new Error(String(err));
        throw this.failed;
      }
      for (const p of batch) {
        if (this.overlay.get(p.slot)?.seq === p.seq) this.overlay.delete(p.slot);
      }
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

  async sizeBytes(): Promise<number> {
    this.check();
    await this.flush();
    return this.inner.sizeBytes();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.failed === undefined) await this.flush();
    } finally {
      this.closed = true;
      await this.inner.close();
    }
  }

  /** Ops written but not yet handed to the inner backend. */
  get pendingOps(): number {
    return this.pending.length;
  }

  private scheduleFlush(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      // A failure is kept in `failed` and surfaces at the next call (the applier's flush).
      if (this.pending.length > 0 && !this.closed) this.flush().catch(() => undefined);
    });
  }

  private check(): void {
    if (this.failed !== undefined) throw new KvError('Stopped', `backend write failed earlier: ${this.failed.message}`);
    if (this.closed) throw new KvError('Stopped', 'backend is closed');
  }
}
