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

/** etcd's lock server grants this TTL when the request names no lease. */
const DEFAULT_LEASE_TTL_S = 60;

type Unary = handleUnaryCall<Sized, ProtoObject>;

const bytesOf = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array(0));
const headerProto = (h: ResponseHeader): ProtoObject => toProto(ResponseHeaderDesc, h);

/** Resolves once `key` is deleted at or after `fromRevision`, or rejects when the call goes away. */
async function waitDelete(service: KV, key: Uint8Array, fromRevision: number, call: ServerUnaryCall<Sized, ProtoObject>): Promise<void> {
  const stream = service.watch();
  const cancelled = () => stream.close();
  call.on('cancelled', cancelled);
  try {
    stream.send({ type: 'create', request: { key, startRevision: fromRevision } });
    for await (const wr of stream) {
      if (wr.canceled) throw new KvError('WatchCanceled', wr.cancelReason || undefined);
      if ((wr.events ?? []).some((e) => e.type === 'DELETE')) return;
    }
    throw new KvError('WatchCanceled', 'context canceled');
  } finally {
    call.off('cancelled', cancelled);
    stream.close();
  }
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
    // Wait for each older key to go, newest first (concurrency.waitDeletes).
    for (;;) {
      const older = await service.range({ key: prefix, rangeEnd, maxCreateRevision: myRev - 1, sortOrder: 'DESCEND', sortTarget: 'CREATE', limit: 1 });
      header = older.header;
      const last = older.kvs[0];
      if (last === undefined) break;
      await waitDelete(service, last.key, older.header.revision, call);
    }
  }
  return { key, header };
}

function fail(callback: Parameters<Unary>[1], err: unknown): void {
  callback({ code: grpcStatus.UNKNOWN, details: err instanceof Error ? err.message : String(err) });
}

export function lockService(ctx: GrpcContext): Record<string, Unary> {
  return {
    Lock: (call, callback) => {
      // As the caller: with auth on, the lock's put, ranges and watches need its permissions.
      const s = ctx.serviceFor(call);
      const req = call.request.message;
      void (async () => {
        let lease = BigInt((req['lease'] as string | undefined) ?? '0');
        if (lease === 0n) lease = (await s.leaseGrant({ ttl: DEFAULT_LEASE_TTL_S })).id;
        const { key, header } = await acquire(s, bytesOf(req['name']), lease, call);
        callback(null, { header: headerProto(header), key: Buffer.from(key) });
      })().catch((err: unknown) => fail(callback, err));
    },
    Unlock: (call, callback) => {
      const s = ctx.serviceFor(call);
      const key = bytesOf(call.request.message['key']);
      void (async () => {
        if (key.length === 0) throw new KvError('EmptyKey');
        const r = await s.deleteRange({ key });
        callback(null, { header: headerProto(r.header) });
      })().catch((err: unknown) => fail(callback, err));
    },
  };
}
