/**
 * The in-memory twin of LevelBackend, for the simulator and unit tests. Ordered by bytes like
 * LevelDB; snapshots are O(1) copy-on-write clones of the B-trees.
 */
import { newBTree, type BTree } from '../util/btree.js';
import { compareBytes } from '../util/bytes.js';
import { BUCKETS, type Backend, type BackendOp, type BackendSnapshot, type BucketName, type IterateOptions } from './backend.js';
import { decodeChunks, recordsToChunks, type BackendRecord } from './backend-chunks.js';

type Tree = BTree<Uint8Array, Uint8Array>;
type Trees = Map<BucketName, Tree>;

function newTrees(): Trees {
  return new Map(BUCKETS.map((b) => [b, newBTree<Uint8Array, Uint8Array>(compareBytes)]));
}

function tree(trees: Trees, bucket: BucketName): Tree {
  const t = trees.get(bucket);
  if (t === undefined) throw new Error(`unknown bucket ${bucket}`);
  return t;
}

function inRange(key: Uint8Array, o: IterateOptions): boolean {
  if (o.gt !== undefined && compareBytes(key, o.gt) <= 0) return false;
  if (o.gte !== undefined && compareBytes(key, o.gte) < 0) return false;
  if (o.lt !== undefined && compareBytes(key, o.lt) >= 0) return false;
  if (o.lte !== undefined && compareBytes(key, o.lte) > 0) return false;
  return true;
}

/** Iterates a byte-ordered tree within `o`'s bounds; shared with MemoryKv. */
export async function* iterateTree(t: Tree, o: IterateOptions = {}): AsyncIterable<[Uint8Array, Uint8Array]> {
  const limit = o.limit ?? Infinity;
  let n = 0;
  if (limit <= 0) return;
  if (o.reverse) {
    const start = o.lte ?? o.lt;
    for (const [k, v] of t.entriesReversed(start, undefined, o.lte === undefined && o.lt !== undefined)) {
      if ((o.gt !== undefined && compareBytes(k, o.gt) <= 0) || (o.gte !== undefined && compareBytes(k, o.gte) < 0)) return;
      if (!inRange(k, o)) continue;
      yield [k, v];
      if (++n >= limit) return;
    }
  } else {
    for (const [k, v] of t.entries(o.gte ?? o.gt)) {
      if ((o.lt !== undefined && compareBytes(k, o.lt) >= 0) || (o.lte !== undefined && compareBytes(k, o.lte) > 0)) return;
      if (!inRange(k, o)) continue;
      yield [k, v];
      if (++n >= limit) return;
    }
  }
}

class MemoryBackendSnapshot implements BackendSnapshot {
  constructor(private readonly trees: Trees) {}
  async get(bucket: BucketName, key: Uint8Array): Promise<Uint8Array | undefined> {
    return tree(this.trees, bucket).get(key);
  }
  iterate(bucket: BucketName, options?: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]> {
    return iterateTree(tree(this.trees, bucket), options);
  }
  chunks(maxChunkBytes?: number): AsyncIterable<Uint8Array> {
    const trees = this.trees;
    async function* records(): AsyncIterable<BackendRecord> {
      for (const bucket of BUCKETS) for (const [k, v] of tree(trees, bucket).entries()) yield [bucket, k, v];
    }
    return recordsToChunks(records(), maxChunkBytes);
  }
  async release(): Promise<void> {}
}

export class MemoryBackend implements Backend {
  private trees = newTrees();
  private closed = false;

  async get(bucket: BucketName, key: Uint8Array): Promise<Uint8Array | undefined> {
    this.checkOpen();
    return tree(this.trees, bucket).get(key);
  }

  async getMany(bucket: BucketName, keys: readonly Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
    this.checkOpen();
    const t = tree(this.trees, bucket);
    return keys.map((key) => t.get(key));
  }

  iterate(bucket: BucketName, options?: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.checkOpen();
    return iterateTree(tree(this.trees, bucket), options);
  }

  async write(ops: readonly BackendOp[]): Promise<void> {
    this.checkOpen();
    for (const op of ops) {
      const t = tree(this.trees, op.bucket);
      // Copy so later mutation of a caller's buffer cannot change stored data.
      if (op.type === 'put') t.set(op.key.slice(), op.value.slice());
      else t.delete(op.key);
    }
  }

  /** Writes apply at once. */
  async flush(): Promise<void> {
    this.checkOpen();
  }

  async snapshot(): Promise<BackendSnapshot> {
    this.checkOpen();
    const copy: Trees = new Map([...this.trees].map(([b, t]) => [b, t.clone()]));
    return new MemoryBackendSnapshot(copy);
  }

  async restore(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    this.checkOpen();
    const fresh = newTrees();
    for await (const records of decodeChunks(chunks)) {
      for (const [bucket, k, v] of records) tree(fresh, bucket).set(k, v);
    }
    this.trees = fresh;
  }

  /** Nothing to give back: deleted records leave the trees at once. */
  async defragment(): Promise<void> {
    this.checkOpen();
  }

  async sizeBytes(): Promise<number> {
    let size = 0;
    for (const t of this.trees.values()) for (const [k, v] of t.entries()) size += k.length + v.length;
    return size;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('backend is closed');
  }
}
