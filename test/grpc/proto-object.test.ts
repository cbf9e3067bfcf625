/**
 * The translation between proto-loader's objects and the API's types: int64 strings become
 * numbers (refused past 2^53 rather than rounded), explicit zero oneof operands survive, enums
 * arrive by name or number, and responses go out under etcd's proto field names.
 */
import { describe, expect, it } from 'vitest';
import { STREAMING, UNARY } from '../../src/api/rpcs.js';
import { fromProto, toProto } from '../../src/grpc/proto-object.js';
import { isKvError } from '../../src/util/errors.js';

describe('fromProto', () => {
  it('reads IDs as exact bigints, other int64s as numbers, refusing what a number cannot hold', () => {
    expect(fromProto(UNARY.put.request, { key: Buffer.from('k'), value: Buffer.from('v'), lease: '42' }).lease).toBe(42n);
    expect(fromProto(UNARY.put.request, { key: Buffer.from('k'), lease: '9223372036854775807' }).lease).toBe(2n ** 63n - 1n);
    expect(fromProto(UNARY.memberRemove.request, { ID: '18446744073709551615' }).id).toBe(2n ** 64n - 1n);
    let err: unknown;
    try {
      fromProto(UNARY.range.request, { key: Buffer.from('k'), revision: '9007199254740993' });
    } catch (e) {
      err = e;
    }
    expect(isKvError(err, 'InvalidArgument') && err.message).toMatch(/revision 9007199254740993 is out of range/);
  });

  it('keeps an explicit zero oneof operand and fills proto3 defaults', () => {
    const txn = fromProto(UNARY.txn.request, {
      compare: [{ target: 'CREATE', key: Buffer.from('lock/1'), create_revision: '0' }],
      success: [{ request_put: { key: Buffer.from('lock/1') } }],
    });
    expect(txn.compare?.[0]).toMatchObject({ target: 'CREATE', createRevision: 0 });
    expect(txn.success?.[0]).toMatchObject({ type: 'put', request: { key: Buffer.from('lock/1') } });
    expect(txn.failure).toEqual([]);
  });

  it('accepts enums by number and turns watch filters into the API flags', () => {
    const w = fromProto(STREAMING.watch.request, { create_request: { key: Buffer.from('a'), filters: [1], start_revision: '7' } });
    expect(w).toEqual({ type: 'create', request: expect.objectContaining({ noDelete: true, startRevision: 7 }) });
    expect(() => fromProto(UNARY.range.request, { key: Buffer.from('a'), sort_order: 9 })).toThrow(/unknown value 9 for enum/);
  });
});

describe('toProto', () => {
  it("writes etcd's proto field names, oneof members and nested headers", () => {
    const header = { clusterId: 1n, memberId: 2n, revision: 3, raftTerm: 4 };
    const kv = { key: Buffer.from('k'), createRevision: 2, modRevision: 3, version: 1, value: Buffer.from('v'), lease: 0n };
    const out = toProto(UNARY.txn.response, {
      header,
      succeeded: true,
      responses: [{ type: 'range', response: { header, kvs: [kv], count: 1 } }],
    });
    expect(out).toMatchObject({
      header: { cluster_id: '1', member_id: '2', revision: 3, raft_term: 4 },
      succeeded: true,
      responses: [{ response_range: { kvs: [{ key: kv.key, create_revision: 2, mod_revision: 3 }], count: 1 } }],
    });
    expect(toProto(UNARY.leaseGrant.response, { header, id: 5n, ttl: 30 })).toMatchObject({ ID: '5', TTL: 30 });
  });
});
