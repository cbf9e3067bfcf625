/**
 * The persisted image of the key index (issue 18): the index's keys and revision numbers, cut
 * into chunks, so that open can load them instead of replaying every key record (a million keys:
 * ~0.6 s of CPU instead of ~4 s, bench/RESULTS.md). This file is the format only; writing is
 * index-image-writer.ts, loading index-image-load.ts.
 *
 * Records live in the `meta` bucket under `cairn.index-image`, and are this data dir's own
 * (keys.ts isLocalRecord): a snapshot never carries them, so an installed store has none.
 *
 *   cairn.index-image                  header: magic, generation, chunk count, revision R the
 *                                      image started at, compacted revision C, key count, CRC
 *   cairn.index-image/<gen><i>         chunk i of that generation: CRC, then keys and numbers
 *
 * Every chunk's CRC covers its generation and position as well as its bytes, so a chunk of an
 * older image, a damaged one or a missing one all read as "no image" (open then rebuilds).
 */
import { assert } from '../util/assert.js';
import { crc32c } from '../util/crc.js';
import { utf8 } from '../util/bytes.js';
import type { BackendOp } from '../storage/backend.js';
import { IMAGE_HEADER_KEY } from '../storage/keys.js';

export { IMAGE_HEADER_KEY };

const CHUNK_PREFIX = utf8('cairn.index-image/');
const MAGIC = 0x43495831; // "CIX1"
const HEADER_BYTES = 4 + 4 + 4 + 8 + 8 + 8 + 4;

export interface ImageHeader {
  readonly generation: number;
  readonly chunks: number;
  /** The store's revision when the image was started: records above it are replayed on load. */
  readonly revision: number;
  /** The compacted revision the whole image was written under (a compaction aborts a write). */
  readonly compacted: number;
  readonly keys: number;
}

/** One chunk's contents: keys in order, and each key's KeyIndex.imageNumbers() one after another. */
export interface ImageChunk {
  readonly keys: string[];
  readonly numbers: number[];
}

export function chunkKey(generation: number, i: number): Uint8Array {
  const out = new Uint8Array(CHUNK_PREFIX.length + 8);
  out.set(CHUNK_PREFIX);
  const view = new DataView(out.buffer);
  view.setUint32(CHUNK_PREFIX.length, generation);
  view.setUint32(CHUNK_PREFIX.length + 4, i);
  return out;
}

function position(generation: number, i: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, generation);
  view.setUint32(4, i);
  return out;
}

export function encodeHeader(h: ImageHeader): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC);
  view.setUint32(4, h.generation);
  view.setUint32(8, h.chunks);
  view.setFloat64(12, h.revision);
  view.setFloat64(20, h.compacted);
  view.setFloat64(28, h.keys);
  view.setUint32(36, crc32c(out.subarray(0, 36)));
  return out;
}

/** The header, or undefined when it is damaged or of another format. */
export function decodeHeader(v: Uint8Array): ImageHeader | undefined {
  if (v.length !== HEADER_BYTES) return undefined;
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  if (view.getUint32(0) !== MAGIC || view.getUint32(36) !== crc32c(v.subarray(0, 36))) return undefined;
  const h = { generation: view.getUint32(4), chunks: view.getUint32(8), revision: view.getFloat64(12), compacted: view.getFloat64(20), keys: view.getFloat64(28) };
  const whole = [h.revision, h.compacted, h.keys].every((n) => Number.isSafeInteger(n) && n >= 0);
  return whole ? h : undefined;
}

/**
 * Layout: crc u32 | keys u32 | key bytes u32 | numbers u32 | key lengths u32[] | key bytes |
 * numbers as unsigned LEB128 varints (a million keys: ~30 MB instead of ~60 MB as f64; the image
 * is rewritten as the store grows, so its bytes are write-path bytes).
 */
export function encodeChunk(generation: number, i: number, c: ImageChunk): Uint8Array {
  let keyBytes = 0;
  for (const k of c.keys) keyBytes += k.length;
  const numbersAt = 16 + 4 * c.keys.length + keyBytes;
  // A safe integer takes at most 8 varint bytes (53 bits, 7 per byte).
  const out = Buffer.alloc(numbersAt + 8 * c.numbers.length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(4, c.keys.length);
  view.setUint32(8, keyBytes);
  view.setUint32(12, c.numbers.length);
  let at = 16 + 4 * c.keys.length;
  c.keys.forEach((k, j) => {
    view.setUint32(16 + 4 * j, k.length);
    at += out.write(k, at, 'latin1');
  });
  for (const n of c.numbers) {
    assert(Number.isSafeInteger(n) && n >= 0, () => `index image: ${n} is not a non-negative safe integer`);
    let rest = n;
    while (rest >= 0x80) {
      out[at++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    out[at++] = rest;
  }
  const used = out.subarray(0, at);
  view.setUint32(0, crc32c(used.subarray(4), crc32c(position(generation, i))));
  return new Uint8Array(used.buffer, used.byteOffset, used.byteLength);
}

/** The chunk, or undefined when its CRC, position or layout is wrong. */
export function decodeChunk(generation: number, i: number, v: Uint8Array): { keys: string[]; numbers: Float64Array } | undefined {
  if (v.length < 16) return undefined;
  const buf = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  if (view.getUint32(0) !== crc32c(buf.subarray(4), crc32c(position(generation, i)))) return undefined;
  const count = view.getUint32(4);
  const keyBytes = view.getUint32(8);
  const numberCount = view.getUint32(12);
  let at = 16 + 4 * count;
  if (at + keyBytes > v.length) return undefined;
  const keys = new Array<string>(count);
  for (let j = 0; j < count; j++) {
    const len = view.getUint32(16 + 4 * j);
    keys[j] = buf.toString('latin1', at, at + len);
    at += len;
  }
  if (at !== 16 + 4 * count + keyBytes) return undefined;
  const numbers = new Float64Array(numberCount);
  for (let j = 0; j < numberCount; j++) {
    let n = 0;
    let scale = 1;
    for (;;) {
      if (at >= v.length || scale > 2 ** 56) return undefined;
      const byte = v[at++] as number;
      n += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 0x80;
    }
    numbers[j] = n;
  }
  return at === v.length ? { keys, numbers } : undefined;
}

export function imagePutOp(key: Uint8Array, value: Uint8Array): BackendOp {
  return { type: 'put', bucket: 'meta', key, value };
}

export function imageDelOp(key: Uint8Array): BackendOp {
  return { type: 'del', bucket: 'meta', key };
}
