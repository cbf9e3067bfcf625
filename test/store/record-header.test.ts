/**
 * Open's in-place reader of key-bucket records against the full decoder: the same key and numbers
 * for every record encodeRecord writes (keys and values across msgpack's bin sizes, numbers
 * across its integer widths and the float64 msgpackr uses past 32 bits), and for damaged bytes
 * either the same answer or the same StorageCorrupt refusal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newRecordHeader, readRecordHeader } from '../../src/store/record-header.js';
import { decodeRecordShared, encodeRecord } from '../../src/store/records.js';
import { indexKey } from '../../src/store/tree-index.js';

const number = fc.oneof(
  fc.integer({ min: 0, max: 200 }),
  fc.integer({ min: 0, max: 70_000 }),
  fc.integer({ min: 0, max: 2 ** 32 + 5 }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);
const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 250, maxLength: 70_000 }));
const record = fc.record({ key: bytes, createRevision: number, modRevision: number, version: number, value: bytes, lease: number });

/** What either reader makes of the bytes: the fields, or the error code. */
function fast(b: Uint8Array, asBuffer: boolean): unknown {
  const h = newRecordHeader();
  try {
    readRecordHeader(asBuffer ? Buffer.from(b) : b, h);
    return { ...h };
  } catch (err) {
    return { code: (err as { code?: string }).code };
  }
}

function full(b: Uint8Array): unknown {
  try {
    const kv = decodeRecordShared(b);
    return { key: indexKey(kv.key), createRevision: kv.createRevision, modRevision: kv.modRevision, version: kv.version, lease: kv.lease };
  } catch (err) {
    return { code: (err as { code?: string }).code };
  }
}

describe('readRecordHeader', () => {
  it('reads every record encodeRecord writes as the full decoder does, from a Buffer or a plain Uint8Array', () => {
    fc.assert(
      fc.property(record, fc.boolean(), (kv, asBuffer) => {
        const b = encodeRecord(kv);
        expect(fast(b, asBuffer)).toEqual(full(b));
        expect(fast(b, asBuffer)).toMatchObject({ createRevision: kv.createRevision, version: kv.version, lease: kv.lease });
      }),
      { numRuns: 500 },
    );
  });

  it('answers damaged bytes as the full decoder does: the same fields, or StorageCorrupt', () => {
    fc.assert(
      fc.property(record, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (kv, at, byte, cut) => {
        const b = encodeRecord(kv);
        const damaged = cut ? b.subarray(0, at % b.length) : Uint8Array.from(b);
        if (!cut) damaged[at % b.length] = byte;
        const want = full(damaged);
        const got = fast(damaged, true);
        expect(got).toEqual(want);
      }),
      { numRuns: 2000 },
    );
  });
});
