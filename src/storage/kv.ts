/**
 * The ordered byte map under both the WAL and the MVCC backend: one per member directory.
 * `LevelKv` is one LevelDB (classic-level); `MemoryKv` is its twin, which can also lose what
 * was never synced (a power loss). The WAL and the backend are views over disjoint key
 * prefixes (keys.ts).
 *
 * A synced batch is durable; nothing else is promised. In particular a synced batch does NOT
 * make earlier unsynced batches durable: when the memtable fills, LevelDB starts a new log file
 * without syncing the old one, and the next synced write syncs only the new log
 * (`DBImpl::MakeRoomForWrite`). docs/architecture.md ("Storage invariant") says which writes
 * may go unsynced and why losing each alone is harmless.
 */
import type { IterateOptions } from './backend.js';

export type KvOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: Uint8Array };

/** Reads from a point in time (an explicit snapshot) or from the live map. */
export interface KvReader {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** Several keys in one call (LevelDB: one thread-pool job instead of one per key); optional. */
  getMany?(keys: readonly Uint8Array[]): Promise<Array<Uint8Array | undefined>>;
  /** Keys in byte order (or reversed), within the bounds; stops after `limit`. */
  iterate(options: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]>;
  /** Like `iterate`, without reading values. */
  keys(options: IterateOptions): AsyncIterable<Uint8Array>;
  /**
   * Like `iterate`, a batch at a time (LevelDB: one native call each, the next read ahead while
   * the caller works on this one); optional. The caller may overwrite a batch's entries.
   */
  iterateBatches?(options: IterateOptions): AsyncIterable<Array<[Uint8Array, Uint8Array]>>;
}

/** Entries per batch where the store has no batch iteration of its own. */
const FALLBACK_BATCH = 256;

/** `kv.iterateBatches` where the store has it, else `iterate` grouped into batches. */
export async function* iterateBatches(kv: KvReader, options: IterateOptions): AsyncIterable<Array<[Uint8Array, Uint8Array]>> {
  if (kv.iterateBatches !== undefined) {
    yield* kv.iterateBatches(options);
    return;
  }
  let batch: Array<[Uint8Array, Uint8Array]> = [];
  for await (const entry of kv.iterate(options)) {
    batch.push(entry);
    if (batch.length >= FALLBACK_BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** `kv.getMany` where the store has it, else one `get` per key. */
export function getMany(kv: KvReader, keys: readonly Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
  return kv.getMany !== undefined ? kv.getMany(keys) : Promise.all(keys.map((k) => kv.get(k)));
}

export interface KvSnapshot extends KvReader {
  release(): Promise<void>;
}

/**
 * A batch filled op by op and written once, with `batch`'s promises. For long streams (snapshot
 * staging): LevelDB copies each op into its WriteBatch as it is added, so the cost of a large
 * batch is spread over the event-loop turns that produced it instead of paid all at once.
 */
export interface KvBatchBuilder {
  put(key: Uint8Array, value: Uint8Array): void;
  /** Ops added so far. */
  readonly length: number;
  write(options: { readonly sync: boolean }): Promise<void>;
}

/** `kv.startBatch()` where the store has it, else a builder that collects the ops for `kv.batch`. */
export function startBatch(kv: OrderedKv): KvBatchBuilder {
  if (kv.startBatch !== undefined) return kv.startBatch();
  const ops: KvOp[] = [];
  return {
    put: (key, value) => void ops.push({ type: 'put', key, value }),
    get length() {
      return ops.length;
    },
    write: (options) => kv.batch(ops, options),
  };
}

export interface OrderedKv extends KvReader {
  /** Names the storage in error messages (the data directory). */
  readonly label: string;
  /** Atomic: all or none of `ops` survive any crash. `sync` makes this batch durable before resolving (only this one). */
  batch(ops: readonly KvOp[], options: { readonly sync: boolean }): Promise<void>;
  /** An incremental batch (see KvBatchBuilder); optional: `startBatch(kv)` falls back to `batch`. */
  startBatch?(): KvBatchBuilder;
  /** A consistent view as of now, across every prefix. */
  snapshot(): KvSnapshot;
  /** Drops deletion tombstones in [start, end) so scans from `start` stay fast (google/leveldb#777). */
  compactRange(start: Uint8Array, end: Uint8Array): Promise<void>;
  /** Bytes the whole store occupies (files on disk, or held in memory). */
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}
