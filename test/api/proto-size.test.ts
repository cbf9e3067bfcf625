import { describe, expect, it } from 'vitest';
import { protoSize } from '../../src/api/json.js';
import { PutRequestDesc, RangeRequestDesc, TxnRequestDesc } from '../../src/api/json/messages-kv.js';
import { WatchRequestDesc } from '../../src/api/json/messages-watch.js';
import { varintSize } from '../../src/api/json/proto-size.js';
import { bytes } from './examples.js';

// Sizes worked out by hand from the protobuf encoding rules (tag varint, length varint, payload).
describe('protobuf size of requests', () => {
  it('sizes varints as protobuf does', () => {
    expect([0, 127, 128, 16383, 16384, 2 ** 53 - 1, -1].map(varintSize)).toEqual([1, 1, 2, 2, 3, 8, 10]);
  });

  it('sizes scalar fields, skipping defaults', () => {
    // key: tag 1 + len 1 + 3; value: tag 1 + len 1 + 3
    expect(protoSize(PutRequestDesc, { key: bytes('foo'), value: bytes('bar') })).toBe(10);
    // + lease 300 (tag 1 + 2-byte varint) + prev_kv (tag 1 + 1)
    expect(protoSize(PutRequestDesc, { key: bytes('foo'), value: bytes('bar'), lease: 300n, prevKv: true })).toBe(15);
    expect(protoSize(PutRequestDesc, { key: bytes('foo'), value: bytes(''), lease: 0n, prevKv: false })).toBe(5);
    // negative int64: ten bytes; enum DESCEND: one byte
    expect(protoSize(RangeRequestDesc, { key: bytes('a'), limit: -1, sortOrder: 'DESCEND' })).toBe(3 + 11 + 2);
  });

  it('sizes a 1 MiB value with a three-byte length', () => {
    expect(protoSize(PutRequestDesc, { key: bytes('k'), value: new Uint8Array(1 << 20) })).toBe(3 + 1 + 3 + (1 << 20));
  });

  it('sizes nested messages, oneofs and the compare field numbered 64 (two-byte tag)', () => {
    const txn = {
      compare: [{ key: bytes('a'), rangeEnd: bytes('b'), target: 'MOD' as const, result: 'EQUAL' as const, modRevision: 5 }],
      success: [{ type: 'put' as const, request: { key: bytes('a'), value: bytes('v') } }],
    };
    // compare: target(2) + key(3) + mod_revision(2) + range_end(2-byte tag + 1 + 1 = 4) = 11 → 1 + 1 + 11
    // success op: request_put(6) → op = 1 + 1 + 6 = 8 → field = 1 + 1 + 8
    expect(protoSize(TxnRequestDesc, txn)).toBe(13 + 10);
  });

  it('packs repeated enums (watch filters)', () => {
    const req = { type: 'create' as const, request: { key: bytes('a'), noPut: true, noDelete: true } };
    // create: key(3) + filters packed (tag 1 + len 1 + 2) = 7 → 1 + 1 + 7
    expect(protoSize(WatchRequestDesc, req)).toBe(9);
  });
});
