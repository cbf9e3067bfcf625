/**
 * etcd's v3lock service (v3lockpb.Lock), served as etcd serves it: with clientv3's mutex recipe
 * run against the member's own KV service (concurrency/mutex.go). Lock puts `<name>/<lease hex>`
 * if absent, then waits until every key under `<name>/` created before it is deleted; a request
 * without a lease gets a fresh 60 s lease that nobody keeps alive, so such a lock expires, as in
 * etcd. Unlock deletes the key. Every failure is code 2 (Unknown) with its text, as etcd's are.
 */
import { status as grpcStatus, type handleUnaryCall, type ServerUnaryCall } from '@grpc/grpc-js';
import type { KV, ResponseHeader } from '../api/kv.js';
import { ResponseHeaderDesc } from '../api/json/messages-kv.js';
import { prefixRangeEnd, utf8 } from '../util/bytes.js';
import { KvError } from '../util/errors.js';
import type { GrpcContext } from './calls.js';
import type { Sized } from './definitions.js';
import { toProto, type ProtoObject } from './proto-object.js';
import { waitDeletes } from './recipes.js';

/** etcd's lock and election servers grant this TTL when the request names no lease. */
const DEFAULT_LEASE_TTL_S = 60;

type Unary = handleUnaryCall<Sized, ProtoObject>;

export const bytesOf = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array(0));
export const headerProto = (h: ResponseHeader): ProtoObject => toProto(ResponseHeaderDesc, h);

/** The request's lease, or (for 0) a fresh lease of 60 s that nobody keeps alive, as etcd's session. */
export async function leaseOrGrant(service: KV, requested: unknown): Promise<bigint> {
  const lease = BigInt((requested as string | undefined) ?? '0');
  return lease === 0n ? (await service.leaseGrant({ ttl: DEFAULT_LEASE_TTL_S })).id : lease;
}

/** clientv3's Mutex.Lock: returns the held key and the header of the last read. */
async function acquire(service: KV, name: Uint8Array, lease: bigint, call: ServerUnaryCall<Sized, ProtoObject>): Promise<{ key: Uint8Array; header: ResponseHeader }> {
  const prefix = new Uint8Array([...name, 0x2f]); // `${name}/`
  const key = new Uint8Array([...prefix, ...utf8(lease.toString(16))]);
  const rangeEnd = prefixRangeEnd(prefix);
  const firstCreated = { type: 'range' as const, request: { key: prefix, rangeEnd, sortOrder: 'ASCEND' as const, sortTarget: 'CREATE' as const, limit: 1 } };
  const t = await service.txn({
    compare: [{ key, target: 'CREATE', result: 'EQUAL', createRevision: 0 }],
    success: [{ type: 'put', request: { key, value: new Uint8Array(0), lease } }, firstCreated],
    failure: [{ type: 'range', request: { key } }, firstCreated],
  });
  const ownRange = t.responses[0];
  const owner = t.responses[1];
  let myRev = t.header.revision;
  if (!t.succeeded && ownRange?.type === 'range') myRev = ownRange.response.kvs[0]?.createRevision ?? myRev;
  let header = t.header;
  if (owner?.type === 'range' && owner.response.kvs.length > 0 && owner.response.kvs[0]?.createRevision !== myRev) {
    header = await waitDeletes(service, prefix, rangeEnd, myRev - 1, call);
  }
  return { key, header };
}

/** Every failure of the lock and election services is code 2 (Unknown) with its text, as etcd's. */
export function fail(callback: Parameters<Unary>[1], err: unknown): void {
  callback({ code: grpcStatus.UNKNOWN, details: err instanceof Error ? err.message : String(err) });
}

export function lockService(ctx: GrpcContext): Record<string, Unary> {
  return {
    Lock: (call, callback) => {
      const req = call.request.message;
      void (async () => {
        const s = ctx.serviceFor(call.metadata);
        const lease = await leaseOrGrant(s, req['lease']);
        const { key, header } = await acquire(s, bytesOf(req['name']), lease, call);
        callback(null, { header: headerProto(header), key: Buffer.from(key) });
      })().catch((err: unknown) => fail(callback, err));
    },
    Unlock: (call, callback) => {
      const key = bytesOf(call.request.message['key']);
      void (async () => {
        if (key.length === 0) throw new KvError('EmptyKey');
        const r = await ctx.serviceFor(call.metadata).deleteRange({ key });
        callback(null, { header: headerProto(r.header) });
      })().catch((err: unknown) => fail(callback, err));
    },
  };
}
