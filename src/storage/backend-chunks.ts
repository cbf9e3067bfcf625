/**
 * The portable form of a backend's contents: a stream of chunks, each a msgpack array of
 * `[bucket, key, value]` records, bounded by bytes. Every backend writes and reads this same
 * form, so a snapshot from a LevelDB member restores into a memory one and back.
 *
 * Readers must not rely on where a stream's pieces begin and end: a transport re-cuts the
 * stream into pieces of its own size (256 KiB for peers), so `decodeChunks` finds the chunks
 * again from the bytes (msgpack values delimit themselves).
 */
import { Packr, unpackMultiple } from 'msgpackr';
import { BUCKETS, type BucketName } from './backend.js';
import { KvError } from '../util/errors.js';

export type BackendRecord = [BucketName, Uint8Array, Uint8Array];

const packr = new Packr({ useRecords: false });
export const DEFAULT_CHUNK_BYTES = 1 << 20;

export async function* recordsToChunks(
  records: AsyncIterable<BackendRecord>,
  maxChunkBytes = DEFAULT_CHUNK_BYTES,
): AsyncIterable<Uint8Array> {
  let batch: BackendRecord[] = [];
  let size = 0;
  for await (const record of records) {
    batch.push(record);
    size += record[1].length + record[2].length + 16;
    if (size >= maxChunkBytes) {
      yield packr.pack(batch);
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) yield packr.pack(batch);
}

/** Bytes of one chunk that may be held while waiting for the rest of it. */
const MAX_PENDING_BYTES = 256 << 20;

/**
 * The records of a chunk stream cut anywhere (as a transport delivers it), chunk by chunk.
 * Bytes of an unfinished chunk wait for the next piece; a stream that ends inside a chunk, or
 * holds more than 256 MiB of one unfinished chunk, is corrupt.
 */
export async function* decodeChunks(pieces: AsyncIterable<Uint8Array>): AsyncIterable<BackendRecord[]> {
  let pending: Uint8Array = new Uint8Array(0);
  for await (const piece of pieces) {
    const bytes = pending.length === 0 ? piece : Buffer.concat([pending, piece]);
    const values: unknown[] = [];
    let consumed = 0;
    try {
      unpackMultiple(bytes, (value: unknown, _start?: number, end?: number) => {
        values.push(value);
        consumed = end ?? bytes.length;
      });
    } catch (err) {
      if ((err as { incomplete?: boolean }).incomplete !== true) {
        throw new KvError('StorageCorrupt', `cairn: backend snapshot chunk does not decode: ${(err as Error).message}`);
      }
    }
    pending = bytes.subarray(consumed);
    if (pending.length > MAX_PENDING_BYTES) throw new KvError('StorageCorrupt', `cairn: backend snapshot chunk larger than ${MAX_PENDING_BYTES} bytes`);
    // msgpack nils between or after chunks are padding (a snapshot file padded to etcd's
    // 512-byte alignment, src/http/routes/maintenance.ts): skipped.
    for (const value of values) if (value !== null) yield checkChunk(value);
  }
  if (pending.length > 0) throw new KvError('StorageCorrupt', `cairn: backend snapshot stream ends inside a chunk (${pending.length} bytes left over)`);
}

function checkChunk(decoded: unknown): BackendRecord[] {
  if (!Array.isArray(decoded)) throw new KvError('StorageCorrupt', 'cairn: backend snapshot chunk is not a list');
  return decoded.map((r: unknown, i) => {
    if (
      !Array.isArray(r) ||
      r.length !== 3 ||
      !BUCKETS.includes(r[0] as BucketName) ||
      !(r[1] instanceof Uint8Array) ||
      !(r[2] instanceof Uint8Array)
    ) {
      throw new KvError('StorageCorrupt', `cairn: backend snapshot chunk has a malformed record at ${i}`);
    }
    return [r[0] as BucketName, r[1], r[2]];
  });
}
