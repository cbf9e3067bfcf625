/**
 * The hand-written chunk writer (src/storage/chunk-encoder.ts) must write exactly the bytes
 * msgpackr writes for the same records: every reader of a snapshot (the chunk decoder, msgpackr
 * itself, a snapshot file from an older member) then reads its chunks as before. Checked across
 * every length form (fixarray / array 16 / array 32 chunks, bin 8 / 16 / 32 fields) and buffer
 * growth from a tiny capacity.
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { BUCKETS } from '../../src/storage/backend.js';
import type { BackendRecord } from '../../src/storage/backend-chunks.js';
import { ChunkWriter } from '../../src/storage/chunk-encoder.js';

const packr = new Packr({ useRecords: false });

const bytesOf = (length: number, seed: number) => Buffer.alloc(length, seed & 0xff);
const record = fc
  .tuple(fc.constantFrom(...BUCKETS), fc.constantFrom(0, 1, 31, 255, 256, 65535, 65536), fc.nat(70000), fc.nat(255))
  .map(([bucket, keyLength, valueLength, seed]): BackendRecord => [bucket, bytesOf(keyLength % 300, seed), bytesOf(valueLength, seed + 1)]);

function written(records: readonly BackendRecord[], capacity: number): Uint8Array {
  const w = new ChunkWriter(capacity);
  for (const [b, k, v] of records) w.add(b, k, v);
  return w.take();
}

describe('ChunkWriter', () => {
  it("writes msgpackr's bytes for any records", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 20 }), fc.constantFrom(1, 64, 1 << 20), (records, capacity) => {
        expect(Buffer.from(written(records, capacity)).equals(packr.pack(records))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('counts chunks past 15 and 65,535 records in array 16 and array 32 headers, as msgpackr does', () => {
    for (const n of [15, 16, 65535, 65536]) {
      const records: BackendRecord[] = Array.from({ length: n }, (_, i): BackendRecord => ['key', Buffer.from([i & 0xff]), Buffer.alloc(0)]);
      expect(Buffer.from(written(records, 16)).equals(packr.pack(records))).toBe(true);
    }
  });

  it('starts each chunk afresh: a taken chunk is not overwritten by the next', () => {
    const w = new ChunkWriter(64);
    w.add('key', Buffer.from('a'), Buffer.from('1'));
    const first = w.take();
    const copy = Buffer.from(first);
    w.add('meta', Buffer.from('b'), Buffer.from('2'));
    const second = w.take();
    expect(Buffer.from(first).equals(copy)).toBe(true);
    expect(packr.unpack(second)).toEqual([['meta', Buffer.from('b'), Buffer.from('2')]]);
  });
});
