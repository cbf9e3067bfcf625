/**
 * One LevelDB (classic-level, through the `level` package) as an OrderedKv. Keys and values are
 * buffers. Reads go through explicit LevelDB snapshots when asked, so several iterators can
 * share one point in time (classic-level README, "Snapshots").
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import type { ClassicLevel } from 'classic-level';
import type { IterateOptions } from './backend.js';
import type { KvBatchBuilder, KvOp, KvSnapshot, OrderedKv } from './kv.js';
import { KvError } from '../util/errors.js';
import { describeStorageFailure, storageFailure } from './storage-errors.js';

type Db = ClassicLevel<Uint8Array, Uint8Array>;
type LevelSnapshot = ReturnType<Db['snapshot']>;

/** Entries fetched per native call while iterating: amortizes the thread hop, bounds memory. */
const ITERATE_BATCH = 256;
/**
 * A bulk scan's reads: up to 4096 entries or 1 MiB per native call (classic-level's
 * `highWaterMarkBytes`, default 16 KiB: ~4,000 thread-pool round trips for a 62 MB snapshot
 * stream). Producing that stream took ~1.2 s of CPU instead of ~1.4 s (interleaved runs).
 */
const BULK_BATCH = 4096;
const BULK_BATCH_BYTES = 1 << 20;
/** Keys are small (the WAL's are 9 bytes): fetch more per call when values are not read. */
const KEYS_BATCH = 1024;
/** Per native call for batch scans (open's pass over the key bucket: ~300 B records, ~300 KB a batch). */
const SCAN_BATCH = 1024;
/**
 * Bytes one native call may gather before it returns. classic-level's default, 16 KiB, cut every
 * batch short: ~55 key records or a single 35 KB WAL entry per thread hop, the main thread idle
 * in between (open's WAL scan and index rebuild). Memory stays bounded: this plus one entry.
 */
const BATCH_BYTES = 1 << 20;

function levelRange(o: IterateOptions, snapshot: LevelSnapshot | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { highWaterMarkBytes: BATCH_BYTES };
  if (o.gt !== undefined) out.gt = o.gt;
  if (o.gte !== undefined) out.gte = o.gte;
  if (o.lt !== undefined) out.lt = o.lt;
  if (o.lte !== undefined) out.lte = o.lte;
  if (o.reverse === true) out.reverse = true;
  if (o.limit !== undefined) out.limit = o.limit;
  if (snapshot !== undefined) out.snapshot = snapshot;
  if (o.bulk === true) out.highWaterMarkBytes = BULK_BATCH_BYTES;
  return out;
}

/** Yields everything a LevelDB iterator produces, `size` entries per native call; always closes it. */
async function* drain<T>(it: { nextv(size: number): Promise<T[]>; close(): Promise<void> }, size: number): AsyncIterable<T> {
  try {
    for (;;) {
      const batch = await it.nextv(size);
      if (batch.length === 0) return;
      yield* batch;
    }
  } finally {
    await it.close();
  }
}

/**
 * Yields the iterator's batches as LevelDB returns them, asking for the next one before handing
 * out the current: the read runs on libuv's pool while the caller works (it was ~30% of open's
 * wall time spent idle, waiting for the next batch). Always closes the iterator.
 */
async function* readAhead<T>(it: { nextv(size: number): Promise<T[]>; close(): Promise<void> }, size: number): AsyncIterable<T[]> {
  let next: Promise<T[]> | undefined;
  try {
    next = it.nextv(size);
    for (;;) {
      const batch = await next;
      next = undefined;
      if (batch.length === 0) return;
      next = it.nextv(size);
      // Settled on a later await, or here if the caller stops: never an unhandled rejection.
      next.catch(() => undefined);
      yield batch;
    }
  } finally {
    // classic-level closes an iterator only after its pending read settles.
    if (next !== undefined) await next.catch(() => undefined);
    await it.close();
  }
}

async function* batchesOfDb(db: Db, o: IterateOptions, snapshot?: LevelSnapshot): AsyncIterable<Array<[Uint8Array, Uint8Array]>> {
  if (o.limit !== undefined && o.limit <= 0) return;
  yield* readAhead(db.iterator(levelRange(o, snapshot)), o.bulk === true ? BULK_BATCH : SCAN_BATCH);
}

async function* iterateDb(db: Db, o: IterateOptions, snapshot?: LevelSnapshot): AsyncIterable<[Uint8Array, Uint8Array]> {
  if (o.limit !== undefined && o.limit <= 0) return;
  yield* drain(db.iterator(levelRange(o, snapshot)), o.bulk === true ? BULK_BATCH : ITERATE_BATCH);
}

async function* keysOfDb(db: Db, o: IterateOptions, snapshot?: LevelSnapshot): AsyncIterable<Uint8Array> {
  if (o.limit !== undefined && o.limit <= 0) return;
  yield* drain(db.keys(levelRange(o, snapshot)), KEYS_BATCH);
}

function isLockedError(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return e?.code === 'LEVEL_LOCKED' || e?.cause?.code === 'LEVEL_LOCKED';
}

export class LevelKv implements OrderedKv {
  private constructor(
    private readonly db: Db,
    readonly location: string,
    readonly label: string,
  ) {}

  /** Opens (creating if missing) the LevelDB at `location`; a second opener gets StorageLocked. */
  static async open(location: string, label: string): Promise<LevelKv> {
    const db = new Level<Uint8Array, Uint8Array>(location, { keyEncoding: 'buffer', valueEncoding: 'buffer' }) as unknown as Db;
    try {
      await db.open();
    } catch (err) {
      if (isLockedError(err)) {
        throw new KvError('StorageLocked', `${label}: data directory is locked by another process (LevelDB LOCK in ${location} is held)`);
      }
      // classic-level says only "Database failed to open": the errno is in its cause.
      const code = storageFailure(err).errno !== undefined ? 'StorageFailed' : 'StorageCorrupt';
      throw new KvError(code, `${label}: cannot open LevelDB at ${location}: ${describeStorageFailure(err)}`);
    }
    return new LevelKv(db, location, label);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(key);
  }

  async getMany(keys: readonly Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
    return this.db.getMany(keys as Uint8Array[]);
  }

  iterate(options: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]> {
    return iterateDb(this.db, options);
  }

  keys(options: IterateOptions): AsyncIterable<Uint8Array> {
    return keysOfDb(this.db, options);
  }

  iterateBatches(options: IterateOptions): AsyncIterable<Array<[Uint8Array, Uint8Array]>> {
    return batchesOfDb(this.db, options);
  }

  async batch(ops: readonly KvOp[], options: { readonly sync: boolean }): Promise<void> {
    // An empty batch is a no-op in both twins (it does not sync earlier writes).
    if (ops.length === 0) return;
    // A chained batch: one LevelDB WriteBatch like the array form, measured ~3× cheaper per op
    // (the array form clones and re-normalizes every operation in abstract-level).
    const batch = this.db.batch();
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.key, op.value);
      else batch.del(op.key);
    }
    await batch.write({ sync: options.sync });
  }

  /**
   * A large batch (a snapshot being staged), handed to LevelDB whole. Not a chained batch like
   * `batch()`: classic-level frees a chained batch's native WriteBatch only when V8 collects its
   * JS wrapper (its `_close` is a TODO), and V8 does not count that memory, so nothing hurries
   * the collection. A joining member staging 4 MiB batches held ~130 MiB of them above its heap
   * at 300k keys (bench/RESULTS.md, issue 18). The array write (`binding.batch_do`) deletes its
   * WriteBatch as soon as the write completes. It is called through `_batch`, classic-level's own
   * implementation of it: abstract-level's public `batch(array)` clones and re-checks every op
   * first, ~4× the CPU of the chained batch (this path: ~1.4×).
   */
  startBatch(): KvBatchBuilder {
    const ops: KvOp[] = [];
    const db = this.db as unknown as Db & { _batch(ops: KvOp[], options: { sync: boolean }): Promise<void> };
    const label = this.label;
    return {
      put: (key, value) => void ops.push({ type: 'put', key, value }),
      get length() {
        return ops.length;
      },
      write: async (options) => {
        // An empty batch is a no-op, as in `batch` (it would not sync earlier writes anyway).
        if (ops.length === 0) return;
        // `_batch` skips abstract-level's own check: a closed store must refuse, not crash.
        if (db.status !== 'open') throw new KvError('StorageFailed', `${label}: write to a LevelDB that is ${db.status}`);
        await db._batch(ops, { sync: options.sync });
      },
    };
  }

  snapshot(): KvSnapshot {
    const db = this.db;
    const snap = db.snapshot();
    return {
      get: (key) => db.get(key, { snapshot: snap }),
      iterate: (options) => iterateDb(db, options, snap),
      keys: (options) => keysOfDb(db, options, snap),
      // A leader streams a snapshot from this (kv-backend.ts allRecordBatches): without it every
      // record took its own trips through two async generators, and no read ran ahead.
      iterateBatches: (options) => batchesOfDb(db, options, snap),
      release: () => snap.close(),
    };
  }

  async compactRange(start: Uint8Array, end: Uint8Array): Promise<void> {
    await this.db.compactRange(start, end);
  }

  /**
   * Every file of the database (table files, the log holding unflushed writes, manifest). LevelDB
   * deletes obsolete files in the background, so a file listed may be gone when it is measured.
   */
  async sizeBytes(): Promise<number> {
    let total = 0;
    for (const name of await readdir(this.location)) {
      try {
        total += (await stat(join(this.location, name))).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return total;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
