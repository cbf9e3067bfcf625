/**
 * The portable form of a backend's contents: a stream of chunks, each a msgpack array of
 * `[bucket, key, value]` records, bounded by bytes. Every backend writes and reads this same
 * form, so a snapshot from a LevelDB member restores into a memory one and back.
 */
import { Packr } from 'msgpackr';
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

export function decodeChunk(chunk: Uint8Array): BackendRecord[] {
  let decoded: unknown;
  try {
    decoded = packr.unpack(chunk);
  } catch (err) {
    throw new KvError('StorageCorrupt', `cairn: backend snapshot chunk does not decode: ${(err as Error).message}`);
  }
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
