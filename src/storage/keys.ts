/**
 * Key layout of a member's one LevelDB (raft-pitfalls.md §5.3, "Recommended layout"): fixed-width
 * binary keys, so byte order is numeric order. Never decimal or `term:index` strings.
 *
 *   0x01 | u64 BE index     raft log entry
 *   0x02 | "hs"             hard state {term, vote, commit}
 *   0x02 | "snap"           snapshot metadata {index, term, confState}
 *   0x02 | "first"          first retained log index
 *   0x02 | "trim"           lowest index that may still hold a stale entry key (< first while a
 *                           prefix deletion is unfinished; re-run on open)
 *   0x0f | "restoring"      present while a backend restore is in progress
 *   0x10 + i | key          backend bucket BUCKETS[i]
 *
 * Some records inside the buckets are this member's own, never replicated: `members`/"cairn.self-id"
 * (which member the data dir belongs to) and `meta`/"cairn.index-image…" (the key index image).
 * Snapshot streams leave them out and a staged install
 * writes the receiver's own (isLocalRecord).
 */
import { BUCKETS, type BucketName } from './backend.js';
import { assert } from '../util/assert.js';
import { utf8 } from '../util/bytes.js';

const ENTRY_PREFIX = 0x01;
const META_PREFIX = 0x02;
const BACKEND_META_PREFIX = 0x0f;
const BUCKET_PREFIX_BASE = 0x10;

export const ENTRY_KEY_LENGTH = 9;
const MAX_INDEX = Number.MAX_SAFE_INTEGER;

export function entryKey(index: number): Uint8Array {
  assert(Number.isSafeInteger(index) && index >= 0, () => `entry index ${index} is not a safe non-negative integer`);
  const key = new Uint8Array(ENTRY_KEY_LENGTH);
  const view = new DataView(key.buffer);
  view.setUint8(0, ENTRY_PREFIX);
  // u64 big-endian as two u32 halves (indexes are < 2^53; BigInt is slow on this hot path).
  view.setUint32(1, Math.floor(index / 0x1_0000_0000));
  view.setUint32(5, index >>> 0);
  return key;
}

/** The index an entry key names, or undefined when the key is not a well-formed entry key. */
export function entryIndexOf(key: Uint8Array): number | undefined {
  if (key.length !== ENTRY_KEY_LENGTH || key[0] !== ENTRY_PREFIX) return undefined;
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const index = view.getUint32(1) * 0x1_0000_0000 + view.getUint32(5);
  return index <= MAX_INDEX ? index : undefined;
}

/** Bounds covering every entry key (for scans that must also see malformed or stray keys). */
export const ENTRY_RANGE = { gte: new Uint8Array([ENTRY_PREFIX]), lt: new Uint8Array([ENTRY_PREFIX + 1]) };

export const HARD_STATE_KEY = new Uint8Array([META_PREFIX, ...utf8('hs')]);
export const SNAPSHOT_KEY = new Uint8Array([META_PREFIX, ...utf8('snap')]);
export const FIRST_INDEX_KEY = new Uint8Array([META_PREFIX, ...utf8('first')]);
export const TRIM_INDEX_KEY = new Uint8Array([META_PREFIX, ...utf8('trim')]);
export const RESTORING_KEY = new Uint8Array([BACKEND_META_PREFIX, ...utf8('restoring')]);

/** The `members` key of this data dir's own member ID. */
export const SELF_ID_KEY = utf8('cairn.self-id');

/**
 * The `meta` key of the persisted key index image's header; its chunks follow it as
 * `cairn.index-image/<generation u32><chunk u32>` (src/store/index-image.ts).
 */
export const IMAGE_HEADER_KEY = utf8('cairn.index-image');
const IMAGE_CHUNK_KEY_LENGTH = IMAGE_HEADER_KEY.length + 1 + 8;
const SLASH = 0x2f;

function isImageKey(key: Uint8Array): boolean {
  if (key.length !== IMAGE_HEADER_KEY.length && !(key.length === IMAGE_CHUNK_KEY_LENGTH && key[IMAGE_HEADER_KEY.length] === SLASH)) return false;
  for (let i = 0; i < IMAGE_HEADER_KEY.length; i++) if (key[i] !== IMAGE_HEADER_KEY[i]) return false;
  return true;
}

/**
 * True for a record that belongs to this data dir alone and never travels in a snapshot: the
 * member ID, and the key index image (it describes this store's key bucket, which an installed
 * snapshot replaces).
 */
export function isLocalRecord(bucket: BucketName, key: Uint8Array): boolean {
  if (bucket === 'meta') return isImageKey(key);
  return bucket === 'members' && key.length === SELF_ID_KEY.length && key.every((b, i) => b === SELF_ID_KEY[i]);
}

export function bucketPrefix(bucket: BucketName): number {
  const i = BUCKETS.indexOf(bucket);
  assert(i >= 0, () => `unknown bucket ${bucket}`);
  return BUCKET_PREFIX_BASE + i;
}

export function bucketOfPrefix(prefix: number): BucketName | undefined {
  return BUCKETS[prefix - BUCKET_PREFIX_BASE];
}

export function bucketKey(bucket: BucketName, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out[0] = bucketPrefix(bucket);
  out.set(key, 1);
  return out;
}

/** Bounds covering every bucket, in BUCKETS order: one iterator sees the whole backend. */
export const BACKEND_RANGE = {
  gte: new Uint8Array([BUCKET_PREFIX_BASE]),
  lt: new Uint8Array([BUCKET_PREFIX_BASE + BUCKETS.length]),
};
