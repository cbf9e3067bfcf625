/**
 * Open's fast path (issue 18): the key index from its persisted image (index-image.ts) plus the
 * key records written after the image started, instead of replaying every record.
 *
 * Any doubt means "no image" and open rebuilds from the key bucket as before, never a partial
 * index: a missing or damaged header or chunk, a key count that disagrees, keys out of order, a
 * record after the image that disagrees with the history the image holds, an image written under
 * a compacted revision the store no longer has. An image older than the store's compaction is
 * compacted at the store's revision after loading (the same result as a rebuild from the
 * compacted bucket: kv-tombstone-19179.test.ts holds in-memory compaction and rebuild equal).
 */
import { iterateBatches, type Backend } from '../storage/backend.js';
import { IndexBuilder, type RebuiltIndex } from './index-rebuild.js';
import { chunkKey, decodeChunk, decodeHeader, IMAGE_HEADER_KEY, type ImageHeader } from './index-image.js';
import { encodeRevKey } from './revision.js';
import { KeyIndex } from './key-index.js';
import { TreeIndex } from './tree-index.js';

export interface LoadedImage extends RebuiltIndex {
  readonly header: ImageHeader;
}

/** The header of the image the backend holds, or undefined when there is none usable. */
export async function readImageHeader(backend: Backend): Promise<ImageHeader | undefined> {
  try {
    const raw = await backend.get('meta', IMAGE_HEADER_KEY);
    return raw === undefined ? undefined : decodeHeader(raw);
  } catch {
    return undefined; // a damaged record: the image is only ever an optimization
  }
}

/** The index from the image and the records after it, or undefined: then rebuild. */
export async function loadIndexImage(backend: Backend, compacted: number): Promise<LoadedImage | undefined> {
  const header = await readImageHeader(backend);
  if (header === undefined || header.compacted > compacted) return undefined;
  try {
    const loaded = await loadChunks(backend, header);
    if (loaded === undefined) return undefined;
    const index = loaded.index;
    const builder = new IndexBuilder(index, { revision: header.revision, newest: loaded.newest, deleted: loaded.deleted });
    const after = { gte: encodeRevKey({ main: header.revision + 1, sub: 0 }) };
    for await (const batch of iterateBatches(backend, 'key', after)) for (const [k, v] of batch) builder.add(k, v);
    if (compacted > header.compacted) {
      for (let at: string | undefined = index.compactBatch(compacted, undefined, 100_000); at !== undefined; at = index.compactBatch(compacted, at, 100_000));
    }
    return { ...builder.result(), header };
  } catch {
    return undefined;
  }
}

async function loadChunks(backend: Backend, header: ImageHeader): Promise<{ index: TreeIndex; newest: number; deleted: string[] } | undefined> {
  const keys: string[] = [];
  const deleted: string[] = [];
  let newest = 0;
  const values: KeyIndex[] = [];
  let previous: string | undefined;
  // A failed read is a missing chunk (and never an unhandled rejection when we stop early).
  const read = (i: number): Promise<Uint8Array | undefined> => backend.get('meta', chunkKey(header.generation, i)).catch(() => undefined);
  let next = read(0);
  for (let i = 0; i < header.chunks; i++) {
    const raw = await next;
    // Read the next chunk while this one is decoded.
    if (i + 1 < header.chunks) next = read(i + 1);
    const chunk = raw === undefined ? undefined : decodeChunk(header.generation, i, raw);
    if (chunk === undefined) return undefined;
    let at = 0;
    for (const key of chunk.keys) {
      // bulkLoad needs strictly increasing keys; a rebuild never makes an empty key.
      if (previous !== undefined && key <= previous) return undefined;
      previous = key;
      const ki = new KeyIndex();
      at = ki.loadImage(chunk.numbers, at);
      if (at > chunk.numbers.length || ki.isEmpty()) return undefined;
      keys.push(key);
      values.push(ki);
      if (!ki.isLive()) deleted.push(key);
      newest = Math.max(newest, ki.modified.main);
    }
    if (at !== chunk.numbers.length) return undefined;
  }
  return keys.length === header.keys ? { index: new TreeIndex({ keys, values }), newest, deleted } : undefined;
}
