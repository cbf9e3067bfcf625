/**
 * The incremental chunk-stream reader (src/storage/chunk-decoder.ts) reads msgpack by hand, so it
 * is checked against what msgpackr writes: every record back, in order, however the stream is cut
 * (down to one byte per piece), across every length form of the headers (fixarray / array 16 /
 * array 32 chunks, bin 8 / 16 / 32 fields), with nil padding; and anything else refused as corrupt.
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { BUCKETS } from '../../src/storage/backend.js';
import { decodeChunks, recordsToChunks, type BackendRecord } from '../../src/storage/backend-chunks.js';
import { ChunkStreamDecoder } from '../../src/storage/chunk-decoder.js';
import { concatBytes, utf8 } from '../../src/util/bytes.js';

const packr = new Packr({ useRecords: false });

async function* from<T>(items: Iterable<T>): AsyncIterable<T> {
  yield* items;
}

async function encode(records: BackendRecord[], chunkBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of recordsToChunks(from(records), chunkBytes)) chunks.push(c);
  return concatBytes(...chunks);
}

/** Cuts `bytes` at the given offsets (sorted, deduplicated, inside the range). */
function cut(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const points = [...new Set(at.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

function decodeAll(pieces: Uint8Array[]): BackendRecord[] {
  const d = new ChunkStreamDecoder();
  const out = pieces.flatMap((p) => d.push(p));
  d.end();
  return out;
}

const plain = (records: BackendRecord[]) => records.map(([b, k, v]) => [b, Buffer.from(k).toString('hex'), Buffer.from(v).toString('hex')]);

const record: fc.Arbitrary<BackendRecord> = fc.tuple(
  fc.constantFrom(...BUCKETS),
  fc.uint8Array({ maxLength: 40 }),
  fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(255, 256, 65_535, 65_536, 70_000).map((n) => new Uint8Array(n).fill(n % 251))),
);

describe('ChunkStreamDecoder', () => {
  it('reads back every record msgpackr wrote, however the stream is cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { maxLength: 60 }),
        fc.integer({ min: 16, max: 200_000 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (records, chunkBytes, cuts) => {
          const bytes = await encode(records, chunkBytes);
          expect(plain(decodeAll(cut(bytes, cuts)))).toEqual(plain(records));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads a stream fed one byte at a time, with nil padding between and after chunks', async () => {
    const records: BackendRecord[] = Array.from({ length: 40 }, (_, i) => ['key', utf8(`k${i}`), new Uint8Array(i * 7).fill(i)]);
    const body = await encode(records, 64);
    const padded = concatBytes(new Uint8Array([0xc0]), body, new Uint8Array(9).fill(0xc0));
    const pieces = Array.from(padded, (b) => new Uint8Array([b]));
    expect(plain(decodeAll(pieces))).toEqual(plain(records));
  });

  it('reads chunks with 16-bit and 32-bit record counts', async () => {
    for (const n of [16, 65_536]) {
      const records: BackendRecord[] = Array.from({ length: n }, (_, i) => ['auth', utf8(String(i)), new Uint8Array(0)]);
      const bytes = packr.pack(records);
      expect(bytes[0]).toBe(n < 65_536 ? 0xdc : 0xdd);
      expect(decodeAll(cut(bytes, [2, 4, 1000]))).toHaveLength(n);
    }
  });

  it('hands out a whole-file piece in bounded batches (no single batch of every record)', async () => {
    const records: BackendRecord[] = Array.from({ length: 20_000 }, (_, i) => ['key', utf8(`k${i}`), new Uint8Array(200)]);
    const bytes = await encode(records, 1 << 20);
    const sizes: number[] = [];
    for await (const batch of decodeChunks(from([bytes]))) sizes.push(batch.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(20_000);
    expect(Math.max(...sizes)).toBeLessThan(10_000);
  });

  it.each<[string, Uint8Array, RegExp]>([
    ['a stream that ends inside a chunk', packr.pack([['key', utf8('a'), utf8('b')], ['key', utf8('c'), utf8('d')]]).subarray(0, 12), /ends inside a chunk/],
    ['a chunk that is not a list', packr.pack({ a: 1 }), /is not a list/],
    ['a record of the wrong length', packr.pack([['key', utf8('a')]]), /malformed record at 0/],
    ['a record in an unknown bucket', packr.pack([['key', utf8('a'), utf8('b')], ['nope', utf8('a'), utf8('b')]]), /malformed record at 1/],
    ['a key that is not bytes', packr.pack([['key', 'a', utf8('b')]]), /malformed record at 0/],
    ['a value that is not bytes', packr.pack([['key', utf8('a'), 7]]), /malformed record at 0/],
  ])('refuses %s as corrupt', async (_what, bytes, message) => {
    const run = async () => {
      for await (const _ of decodeChunks(from([bytes.subarray(0, 3), bytes.subarray(3)]))) void _;
    };
    await expect(run()).rejects.toMatchObject({ code: 'StorageCorrupt', message });
  });

  it('refuses a record declaring more than 256 MiB instead of waiting for it', () => {
    // bin 32 value of 2^31 bytes, header only.
    const head = new Uint8Array([0x91, 0x93, 0xa3, ...utf8('key'), 0xc4, 1, 0x61, 0xc6, 0x80, 0, 0, 0]);
    expect(() => new ChunkStreamDecoder().push(head)).toThrow(/larger than/);
  });
});
