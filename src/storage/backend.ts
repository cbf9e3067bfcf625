/**
 * The MVCC backend: the store's durable, ordered byte map, split into named buckets (etcd's
 * bbolt buckets). One `write()` is one atomic batch: the store's revision writes and the meta
 * record of the applied index go together, so the applied index always matches the data.
 *
 * Implementations: `LevelBackend` (one LevelDB per member, shared with the WAL) and
 * `MemoryBackend`; both pass test/storage/backend-conformance.
 */
export type BucketName = 'key' | 'meta' | 'lease' | 'members' | 'alarm' | 'auth';

export const BUCKETS: readonly BucketName[] = ['key', 'meta', 'lease', 'members', 'alarm', 'auth'];

export type BackendOp =
  | { readonly type: 'put'; readonly bucket: BucketName; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly bucket: BucketName; readonly key: Uint8Array };

export interface IterateOptions {
  readonly gt?: Uint8Array;
  readonly gte?: Uint8Array;
  readonly lt?: Uint8Array;
  readonly lte?: Uint8Array;
  readonly reverse?: boolean;
  readonly limit?: number;
  /**
   * A scan of a whole range (a snapshot stream): read ahead in large batches. LevelDB's iterator
   * otherwise stops each read at 16 KiB (~55 key records), a thread-pool round trip each.
   */
  readonly bulk?: boolean;
}

export interface WriteOptions {
  /** Land at once, synced, before resolving (a buffered backend lands every flush synced anyway). */
  readonly sync?: boolean;
  /**
   * Deletes of keys nobody reads again (compaction's garbage: records no index entry points at). A
   * buffered backend queues them in order like any write but keeps no overlay entry and no copy:
   * until they land a get may still see the old value, which no reader asks for. The caller hands
   * over the key buffers. Measured (issue 18): the overlay's per-key string and map entry were a
   * fifth of a compaction's CPU on the member's one thread.
   */
  readonly unread?: boolean;
}

/** A consistent point-in-time view; release it when done so storage can reclaim space. */
export interface BackendSnapshot {
  get(bucket: BucketName, key: Uint8Array): Promise<Uint8Array | undefined>;
  iterate(bucket: BucketName, options?: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]>;
  /** Every bucket's records, as a stream of bounded chunks (for sending and `snapshot save`). */
  chunks(maxChunkBytes?: number): AsyncIterable<Uint8Array>;
  release(): Promise<void>;
}

/** Records per batch where a backend has no batch iteration of its own. */
const FALLBACK_BATCH = 256;

/** `backend.iterateBatches` where it has one, else `iterate` grouped into batches. */
export async function* iterateBatches(backend: Backend, bucket: BucketName, options?: IterateOptions): AsyncIterable<Array<[Uint8Array, Uint8Array]>> {
  if (backend.iterateBatches !== undefined) {
    yield* backend.iterateBatches(bucket, options);
    return;
  }
  let batch: Array<[Uint8Array, Uint8Array]> = [];
  for await (const entry of backend.iterate(bucket, options)) {
    batch.push(entry);
    if (batch.length >= FALLBACK_BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

export interface Backend {
  get(bucket: BucketName, key: Uint8Array): Promise<Uint8Array | undefined>;
  /** `get` for several keys of one bucket, answered in order (a range's values in one read). */
  getMany(bucket: BucketName, keys: readonly Uint8Array[]): Promise<Array<Uint8Array | undefined>>;
  iterate(bucket: BucketName, options?: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]>;
  /**
   * `iterate`, a batch of records at a time (fewer async steps per record for whole-bucket
   * passes such as open's index rebuild); optional, see `iterateBatches` below. The caller may
   * overwrite a batch's entries.
   */
  iterateBatches?(bucket: BucketName, options?: IterateOptions): AsyncIterable<Array<[Uint8Array, Uint8Array]>>;
  write(ops: readonly BackendOp[], options?: WriteOptions): Promise<void>;
  /** Resolves once every earlier write has reached the store durably (no-op unless buffered). */
  flush(): Promise<void>;
  /**
   * `flush()`, except that writes another batch is already landing are waited for rather than
   * given a synced batch of their own (optional: a backend without it lands on `flush()`).
   */
  landed?(): Promise<void>;
  snapshot(): Promise<BackendSnapshot>;
  /** Replaces every bucket's contents with a stream produced by `BackendSnapshot.chunks()`, cut anywhere. */
  restore(chunks: AsyncIterable<Uint8Array>): Promise<void>;
  /**
   * etcd's defragment: gives the space of deleted records back now. LevelDB's manual compaction of
   * the backend's range runs on its own thread, so reads and writes go on meanwhile.
   */
  defragment(): Promise<void>;
  /** Approximate bytes on disk (etcd_mvcc_db_total_size_in_bytes). */
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}
