/**
 * The MVCC backend over an OrderedKv: each bucket under its own prefix byte (keys.ts). LevelBackend
 * is this over the member's LevelDB; MemoryDataDir uses it over a MemoryKv so a simulated power
 * loss rolls the backend back together with the WAL, as it would on disk.
 *
 * Every stored value carries a CRC-32C over its key and bytes, checked on every read
 * (StorageCorrupt names the bucket and key); snapshot chunks carry the plain values.
 *
 * Point-in-time copies: `snapshot()` takes one explicit LevelDB snapshot (classic-level 3,
 * `db.snapshot()`), and every read of the BackendSnapshot, across all buckets, goes through it;
 * `chunks()` is one iterator over the whole backend range in bucket order.
 */
import { type Backend, type BackendOp, type BackendSnapshot, type BucketName, type IterateOptions, type WriteOptions } from './backend.js';
import { decodeChunks, recordBatchesToChunks, type BackendRecord } from './backend-chunks.js';
import { BACKEND_RANGE, RESTORING_KEY, bucketKey, bucketOfPrefix, bucketPrefix, isLocalRecord } from './keys.js';
import { getMany, iterateBatches, type KvOp, type KvReader, type OrderedKv } from './kv.js';
import { assert } from '../util/assert.js';
import { toHex } from '../util/bytes.js';
import { openValue, sealValue } from './codec.js';
import { KvError } from '../util/errors.js';

/** Records and bytes per batch while restoring or clearing: bound memory and each LevelDB write. */
export const RESTORE_BATCH = 1024;
export const RESTORE_BATCH_BYTES = 4 << 20;

function bucketBounds(bucket: BucketName, o: IterateOptions): IterateOptions {
  const p = bucketPrefix(bucket);
  const out: { -readonly [K in keyof IterateOptions]: IterateOptions[K] } = {};
  if (o.gt !== undefined) out.gt = bucketKey(bucket, o.gt);
  if (o.gte !== undefined) out.gte = bucketKey(bucket, o.gte);
  if (o.gt === undefined && o.gte === undefined) out.gte = new Uint8Array([p]);
  if (o.lt !== undefined) out.lt = bucketKey(bucket, o.lt);
  if (o.lte !== undefined) out.lte = bucketKey(bucket, o.lte);
  if (o.lt === undefined && o.lte === undefined) out.lt = new Uint8Array([p + 1]);
  if (o.reverse !== undefined) out.reverse = o.reverse;
  if (o.limit !== undefined) out.limit = o.limit;
  return out;
}

/** Checks a stored value's CRC (data is checked on read-back: DESIGN.md) and strips it. */
function opened(label: string, storedKey: Uint8Array, stored: Uint8Array): Uint8Array {
  const decoded = openValue(storedKey, stored);
  if (decoded.ok) return decoded.value;
  const bucket = bucketOfPrefix(storedKey[0] as number) ?? 'unknown';
  const key = toHex(storedKey.subarray(1, 33)) + (storedKey.length > 33 ? '…' : '');
  throw new KvError('StorageCorrupt', `${label}: backend ${bucket} record ${key}: ${decoded.problem}`);
}

async function getOpened(kv: KvReader, label: string, bucket: BucketName, key: Uint8Array): Promise<Uint8Array | undefined> {
  const storedKey = bucketKey(bucket, key);
  const stored = await kv.get(storedKey);
  return stored === undefined ? undefined : opened(label, storedKey, stored);
}

async function* iterateBucket(kv: KvReader, label: string, bucket: BucketName, o: IterateOptions = {}): AsyncIterable<[Uint8Array, Uint8Array]> {
  for await (const [k, v] of kv.iterate(bucketBounds(bucket, o))) yield [k.subarray(1), opened(label, k, v)];
}

/** Batches of a bucket's records, checked and stripped in place (no new entry per record). */
async function* bucketBatches(kv: KvReader, label: string, bucket: BucketName, o: IterateOptions = {}): AsyncIterable<Array<[Uint8Array, Uint8Array]>> {
  for await (const batch of iterateBatches(kv, bucketBounds(bucket, o))) {
    for (const entry of batch) {
      const [k, v] = entry;
      entry[1] = opened(label, k, v);
      entry[0] = k.subarray(1);
    }
    yield batch;
  }
}

/** Every replicated record, checked and stripped, a native read's batch at a time. */
async function* allRecordBatches(kv: KvReader, label: string): AsyncIterable<BackendRecord[]> {
  for await (const batch of iterateBatches(kv, { ...BACKEND_RANGE, bulk: true })) {
    const records: BackendRecord[] = [];
    for (const [k, v] of batch) {
      const bucket = bucketOfPrefix(k[0] as number);
      assert(bucket !== undefined, () => `backend key with unknown prefix ${k[0]}`);
      if (isLocalRecord(bucket, k.subarray(1))) continue; // this member's own: never replicated
      records.push([bucket, k.subarray(1), opened(label, k, v)]);
    }
    yield records;
  }
}

/** `bucketKey` as a Buffer from the pool: LevelDB's encoding would wrap a plain array once more per key. */
function bucketKeyBuffer(bucket: BucketName, key: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(key.length + 1);
  out[0] = bucketPrefix(bucket);
  out.set(key, 1);
  return out;
}

export function putOp(bucket: BucketName, key: Uint8Array, value: Uint8Array): KvOp {
  const storedKey = bucketKey(bucket, key);
  return { type: 'put', key: storedKey, value: sealValue(storedKey, value) };
}

/** The store's ops for backend ops: bucket-prefixed keys, CRC-sealed values. */
export function backendKvOps(ops: readonly BackendOp[]): KvOp[] {
  return ops.map((op) => (op.type === 'put' ? putOp(op.bucket, op.key, op.value) : { type: 'del', key: bucketKey(op.bucket, op.key) }));
}

export class KvBackend implements Backend {
  private closed = false;

  constructor(protected readonly kv: OrderedKv) {}

  /** True when a `restore()` was cut short by a crash: the contents are a mix and must not be served. */
  async restoreInterrupted(): Promise<boolean> {
    return (await this.kv.get(RESTORING_KEY)) !== undefined;
  }

  async get(bucket: BucketName, key: Uint8Array): Promise<Uint8Array | undefined> {
    this.checkOpen();
    return getOpened(this.kv, this.kv.label, bucket, key);
  }

  async getMany(bucket: BucketName, keys: readonly Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
    this.checkOpen();
    const storedKeys = keys.map((key) => bucketKeyBuffer(bucket, key));
    const stored = await getMany(this.kv, storedKeys);
    return stored.map((v, i) => (v === undefined ? undefined : opened(this.kv.label, storedKeys[i] as Uint8Array, v)));
  }

  iterate(bucket: BucketName, options?: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.checkOpen();
    return iterateBucket(this.kv, this.kv.label, bucket, options);
  }

  iterateBatches(bucket: BucketName, options?: IterateOptions): AsyncIterable<Array<[Uint8Array, Uint8Array]>> {
    this.checkOpen();
    return bucketBatches(this.kv, this.kv.label, bucket, options);
  }

  async write(ops: readonly BackendOp[], options?: WriteOptions): Promise<void> {
    this.checkOpen();
    await this.kv.batch(backendKvOps(ops), { sync: options?.sync ?? false });
  }

  /** Writes go straight to the store. */
  async flush(): Promise<void> {
    this.checkOpen();
  }

  async snapshot(): Promise<BackendSnapshot> {
    this.checkOpen();
    const snap = this.kv.snapshot();
    const label = this.kv.label;
    return {
      get: (bucket, key) => getOpened(snap, label, bucket, key),
      iterate: (bucket, options) => iterateBucket(snap, label, bucket, options),
      chunks: (maxChunkBytes) => recordBatchesToChunks(allRecordBatches(snap, label), maxChunkBytes),
      release: () => snap.release(),
    };
  }

  /**
   * Clears every bucket and loads the chunks in bounded batches. Not atomic: a marker is written
   * first and removed (synced) last, so a crash in between is detected on open
   * (`restoreInterrupted()`) instead of serving a mix of old and new state.
   */
  async restore(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    this.checkOpen();
    await this.kv.batch([{ type: 'put', key: RESTORING_KEY, value: new Uint8Array([1]) }], { sync: false });
    let ops: KvOp[] = [];
    let bytes = 0;
    const add = async (op: KvOp): Promise<void> => {
      ops.push(op);
      bytes += op.key.length + (op.type === 'put' ? op.value.length : 0);
      if (ops.length >= RESTORE_BATCH || bytes >= RESTORE_BATCH_BYTES) await flush();
    };
    const flush = async (): Promise<void> => {
      if (ops.length > 0) await this.kv.batch(ops, { sync: false });
      ops = [];
      bytes = 0;
    };
    for await (const key of this.kv.keys(BACKEND_RANGE)) await add({ type: 'del', key });
    for await (const records of decodeChunks(chunks)) {
      for (const [bucket, k, v] of records) await add(putOp(bucket, k, v));
    }
    ops.push({ type: 'del', key: RESTORING_KEY });
    await this.kv.batch(ops, { sync: true });
    await this.kv.compactRange(BACKEND_RANGE.gte, BACKEND_RANGE.lt);
  }

  async defragment(): Promise<void> {
    this.checkOpen();
    await this.kv.compactRange(BACKEND_RANGE.gte, BACKEND_RANGE.lt);
  }

  /** Bytes of the member's whole store (LevelDB's files; the raft log is small after compaction). */
  async sizeBytes(): Promise<number> {
    this.checkOpen();
    return this.kv.sizeBytes();
  }

  /** Marks the view closed; the DataDir owns and closes the underlying store. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new KvError('Stopped', `${this.kv.label}: backend is closed`);
  }
}

/** The backend view of a member's LevelDB (handed out by `openDataDir`). */
export class LevelBackend extends KvBackend {}
