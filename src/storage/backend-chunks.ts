/**
 * The portable form of a backend's contents: a stream of chunks, each a msgpack array of
 * `[bucket, key, value]` records, bounded by bytes. Every backend writes and reads this same
 * form, so a snapshot from a LevelDB member restores into a memory one and back.
 *
 * Readers must not rely on where a stream's pieces begin and end: a transport re-cuts the
 * stream into pieces of its own size (256 KiB for peers), so `decodeChunks` finds the chunks
 * again from the bytes (msgpack values delimit themselves).
 */
import { Packr } from 'msgpackr';
import type { BucketName } from './backend.js';
import { ChunkStreamDecoder } from './chunk-decoder.js';

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

/**
 * The records of a chunk stream cut anywhere (as a transport delivers it), a piece at a time
 * (chunk-decoder.ts). A stream that ends inside a chunk, or holds more than 256 MiB of one
 * unfinished record, is corrupt. msgpack nils between or after chunks are padding (a snapshot
 * file padded to etcd's 512-byte alignment, src/http/routes/maintenance.ts): skipped.
 */
export async function* decodeChunks(pieces: AsyncIterable<Uint8Array>): AsyncIterable<BackendRecord[]> {
  const decoder = new ChunkStreamDecoder();
  for await (const piece of pieces) {
    // A whole file read at once is decoded a chunk's worth at a time: each batch handed out (and
    // the synchronous work between two awaits) stays bounded.
    for (let at = 0; at < piece.length; at += DEFAULT_CHUNK_BYTES) {
      const records = decoder.push(piece.subarray(at, at + DEFAULT_CHUNK_BYTES));
      if (records.length > 0) yield records;
    }
  }
  decoder.end();
}
