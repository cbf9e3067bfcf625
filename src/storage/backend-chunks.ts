/**
 * The portable form of a backend's contents: a stream of chunks, each a msgpack array of
 * `[bucket, key, value]` records, bounded by bytes. Every backend writes and reads this same
 * form, so a snapshot from a LevelDB member restores into a memory one and back.
 *
 * Readers must not rely on where a stream's pieces begin and end: a transport re-cuts the
 * stream into pieces of its own size (256 KiB for peers), so `decodeChunks` finds the chunks
 * again from the bytes (msgpack values delimit themselves).
 */
import type { BucketName } from './backend.js';
import { ChunkStreamDecoder } from './chunk-decoder.js';
import { ChunkWriter } from './chunk-encoder.js';

export type BackendRecord = [BucketName, Uint8Array, Uint8Array];

export const DEFAULT_CHUNK_BYTES = 1 << 20;

export async function* recordsToChunks(
  records: AsyncIterable<BackendRecord>,
  maxChunkBytes = DEFAULT_CHUNK_BYTES,
): AsyncIterable<Uint8Array> {
  const chunks = new ChunkCutter(maxChunkBytes);
  for await (const [bucket, key, value] of records) {
    const chunk = chunks.add(bucket, key, value);
    if (chunk !== undefined) yield chunk;
  }
  const last = chunks.end();
  if (last !== undefined) yield last;
}

/** `recordsToChunks` for records read a batch at a time (one async step per batch, not per record). */
export async function* recordBatchesToChunks(
  batches: AsyncIterable<readonly BackendRecord[]>,
  maxChunkBytes = DEFAULT_CHUNK_BYTES,
): AsyncIterable<Uint8Array> {
  const chunks = new ChunkCutter(maxChunkBytes);
  for await (const batch of batches) {
    for (const [bucket, key, value] of batch) {
      const chunk = chunks.add(bucket, key, value);
      if (chunk !== undefined) yield chunk;
    }
  }
  const last = chunks.end();
  if (last !== undefined) yield last;
}

/** Cuts a chunk once its records weigh `maxChunkBytes` (keys and values plus 16 bytes each). */
class ChunkCutter {
  private readonly writer: ChunkWriter;
  private weight = 0;

  constructor(private readonly maxChunkBytes: number) {
    this.writer = new ChunkWriter(Math.min(maxChunkBytes, DEFAULT_CHUNK_BYTES) + 4096);
  }

  add(bucket: BucketName, key: Uint8Array, value: Uint8Array): Uint8Array | undefined {
    this.writer.add(bucket, key, value);
    this.weight += key.length + value.length + 16;
    if (this.weight < this.maxChunkBytes) return undefined;
    this.weight = 0;
    return this.writer.take();
  }

  end(): Uint8Array | undefined {
    return this.writer.count > 0 ? this.writer.take() : undefined;
  }
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
