/**
 * Watch responses written by hand (src/grpc/watch-encode.ts) against proto-loader's serializer of
 * the same response (the path every other RPC takes): the bytes must be equal for any response,
 * zero fields, negative watch IDs, 64-bit IDs, multi-byte lengths and shared events included.
 */
import type { MethodDefinition } from '@grpc/grpc-js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Event, KeyValue, ResponseHeader, WatchResponse } from '../../src/api/kv.js';
import { STREAMING } from '../../src/api/rpcs.js';
import { packageDefinition, serviceDefinition } from '../../src/grpc/definitions.js';
import { toProto } from '../../src/grpc/proto-object.js';
import { encodeWatchResponse } from '../../src/grpc/watch-encode.js';

type Method = MethodDefinition<unknown, unknown>;
const served = serviceDefinition('etcdserverpb.Watch')['Watch'] as Method;
/** proto-loader's own serializer for WatchResponse, which the handler used before issue 18. */
const loaded = (packageDefinition()['etcdserverpb.Watch'] as unknown as Record<string, Method>)['Watch'] as Method;

function reference(wr: WatchResponse): Buffer {
  return loaded.responseSerialize(toProto(STREAMING.watch.response, wr));
}

const revision = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const id = fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }));
const bytes = fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ minLength: 120, maxLength: 300 }));
const keyValue: fc.Arbitrary<KeyValue> = fc.record({
  key: bytes,
  createRevision: revision,
  modRevision: revision,
  version: revision,
  value: bytes,
  lease: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 2n ** 63n - 1n })),
});
const event: fc.Arbitrary<Event> = fc.record({ type: fc.constantFrom('PUT' as const, 'DELETE' as const), kv: keyValue, prevKv: keyValue }, { requiredKeys: ['type', 'kv'] });
const header: fc.Arbitrary<ResponseHeader> = fc.record({ clusterId: id, memberId: id, revision, raftTerm: revision });
const response: fc.Arbitrary<WatchResponse> = fc.record(
  {
    header,
    watchId: fc.oneof(fc.constant(0), fc.constant(-1), fc.integer({ min: 1, max: 1_000_000 })),
    created: fc.boolean(),
    canceled: fc.boolean(),
    compactRevision: revision,
    cancelReason: fc.string({ unit: 'grapheme', maxLength: 40 }),
    fragment: fc.boolean(),
    events: fc.array(event, { maxLength: 4 }),
  },
  { requiredKeys: ['header', 'watchId'] },
);

describe('encodeWatchResponse', () => {
  it('passes Buffers through the Watch method serializer only', () => {
    const b = Buffer.from([1, 2, 3]);
    expect(served.responseSerialize(b)).toBe(b);
    const range = serviceDefinition('etcdserverpb.KV')['Range'] as Method;
    expect(range.responseSerialize({ header: { revision: '5' } }).toString('hex')).toBe('0a021805');
  });

  it('writes the bytes proto-loader writes for the same response', () => {
    fc.assert(
      fc.property(response, (wr) => {
        expect(encodeWatchResponse(wr).toString('hex')).toBe(reference(wr).toString('hex'));
        // Twice: the second comes from the caches and must not differ.
        expect(encodeWatchResponse(wr).toString('hex')).toBe(reference(wr).toString('hex'));
      }),
      { numRuns: 500 },
    );
  });

  it('shares one event among responses with different watch IDs and headers', () => {
    const ev: Event = { type: 'PUT', kv: { key: Buffer.from('k'), createRevision: 2, modRevision: 9, version: 3, value: Buffer.alloc(200, 7), lease: 0n } };
    const h1: ResponseHeader = { clusterId: 1n, memberId: 2n, revision: 9, raftTerm: 2 };
    const h2: ResponseHeader = { ...h1, revision: 10 };
    for (const wr of [{ header: h1, watchId: 0, events: [ev] }, { header: h2, watchId: 300, events: [ev, ev] }]) {
      expect(encodeWatchResponse(wr).toString('hex')).toBe(reference(wr).toString('hex'));
    }
  });
});
