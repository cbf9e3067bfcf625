/**
 * etcd's v3election service (v3electionpb.Election), served as etcd serves it: clientv3's
 * election recipe (concurrency/election.go) run against the member as the caller sees it.
 * A candidate's key is `<name>/<lease hex>`; the leader is the oldest key under `<name>/`.
 * Campaign puts the key if absent (an existing key with another value is proclaimed over),
 * then waits until every older key is gone. Proclaim and Resign act only while the key's
 * create revision is the LeaderKey's `rev`. Every failure is code 2 with its text (lock.ts).
 */
import type { handleServerStreamingCall, handleUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import type { KeyValue, KV, ResponseHeader } from '../api/kv.js';
import { KeyValueDesc } from '../api/json/messages-kv.js';
import { bytesEqual, concatBytes, prefixRangeEnd, utf8 } from '../util/bytes.js';
import { send, failStream, type GrpcContext } from './calls.js';
import type { Sized } from './definitions.js';
import { bytesOf, fail, headerProto, leaseOrGrant } from './lock.js';
import { toProto, type ProtoObject } from './proto-object.js';
import { waitDeletes, watchResponses, type CallScope } from './recipes.js';

type Unary = handleUnaryCall<Sized, ProtoObject>;

/** concurrency's election errors, as etcd's server returns them (code 2, text as is). */
const NO_LEADER = 'election: no leader';
const NOT_LEADER = 'election: not leader';
const MISSING_LEADER_KEY = '"leader" field must be provided';

interface LeaderKey {
  readonly name: Uint8Array;
  readonly key: Uint8Array;
  readonly rev: number;
  readonly lease: bigint;
}

const prefixOf = (name: Uint8Array): Uint8Array => concatBytes(name, utf8('/'));

function leaderKeyOf(message: ProtoObject): LeaderKey {
  const lk = message['leader'] as ProtoObject | undefined;
  if (lk === undefined || lk === null) throw new Error(MISSING_LEADER_KEY);
  return {
    name: bytesOf(lk['name']),
    key: bytesOf(lk['key']),
    rev: Number((lk['rev'] as string | undefined) ?? '0'),
    lease: BigInt((lk['lease'] as string | undefined) ?? '0'),
  };
}

const leaderKeyProto = (lk: LeaderKey): ProtoObject => ({ name: Buffer.from(lk.name), key: Buffer.from(lk.key), rev: String(lk.rev), lease: lk.lease.toString() });

/** Election.Proclaim: a new value under the leader key, only while the caller still holds it. */
async function proclaim(s: KV, lk: LeaderKey, value: Uint8Array): Promise<ResponseHeader> {
  const t = await s.txn({
    compare: [{ key: lk.key, target: 'CREATE', result: 'EQUAL', createRevision: lk.rev }],
    success: [{ type: 'put', request: { key: lk.key, value, lease: lk.lease } }],
    failure: [],
  });
  if (!t.succeeded) throw new Error(NOT_LEADER);
  return t.header;
}

/** Election.Resign: deletes the leader key if it is still the caller's (a stale key is a no-op). */
async function resign(s: KV, lk: LeaderKey): Promise<ResponseHeader> {
  const t = await s.txn({
    compare: [{ key: lk.key, target: 'CREATE', result: 'EQUAL', createRevision: lk.rev }],
    success: [{ type: 'deleteRange', request: { key: lk.key } }],
    failure: [],
  });
  return t.header;
}

/** Election.Campaign: returns once the caller leads; a call that goes away resigns its key. */
async function campaign(s: KV, name: Uint8Array, lease: bigint, value: Uint8Array, call: CallScope & { readonly cancelled: boolean }): Promise<{ header: ResponseHeader; leader: LeaderKey }> {
  const prefix = prefixOf(name);
  const key = concatBytes(prefix, utf8(lease.toString(16)));
  const t = await s.txn({
    compare: [{ key, target: 'CREATE', result: 'EQUAL', createRevision: 0 }],
    success: [{ type: 'put', request: { key, value, lease } }],
    failure: [{ type: 'range', request: { key } }],
  });
  let leader: LeaderKey = { name, key, rev: t.header.revision, lease };
  if (!t.succeeded) {
    const own = t.responses[0];
    const existing = own?.type === 'range' ? own.response.kvs[0] : undefined;
    if (existing === undefined) throw new Error('cairn: campaign txn failed but its key is absent');
    leader = { ...leader, rev: existing.createRevision };
    if (!bytesEqual(existing.value, value)) {
      try {
        await proclaim(s, leader, value);
      } catch (err) {
        await resign(s, leader).catch(() => undefined);
        throw err;
      }
    }
  }
  try {
    await waitDeletes(s, prefix, prefixRangeEnd(prefix), leader.rev - 1, call);
  } catch (err) {
    // etcd's Campaign resigns when its context is done, so an abandoned candidate does not lead.
    if (call.cancelled) await resign(s, leader).catch(() => undefined);
    throw err;
  }
  return { header: t.header, leader };
}

/** The oldest candidate under `<name>/` (clientv3's WithFirstCreate), with the read's header. */
async function currentLeader(s: KV, name: Uint8Array): Promise<{ header: ResponseHeader; kv: KeyValue | undefined }> {
  const prefix = prefixOf(name);
  const r = await s.range({ key: prefix, rangeEnd: prefixRangeEnd(prefix), sortOrder: 'ASCEND', sortTarget: 'CREATE', limit: 1 });
  return { header: r.header, kv: r.kvs[0] };
}

const leaderResponse = (header: ResponseHeader, kv: KeyValue): ProtoObject => ({ header: headerProto(header), kv: toProto(KeyValueDesc, kv) });

/**
 * Election.observe: sends the leader (waiting for a first candidate if there is none), then each
 * new value of its key until the key is deleted, then the next leader, until the call ends.
 */
async function observe(s: KV, name: Uint8Array, call: ServerWritableStream<Sized, ProtoObject>): Promise<void> {
  const prefix = prefixOf(name);
  for (;;) {
    let { header, kv } = await currentLeader(s, name);
    if (kv === undefined) {
      for await (const wr of watchResponses(s, { key: prefix, rangeEnd: prefixRangeEnd(prefix), startRevision: header.revision }, call)) {
        // Only a put names a candidate; a batch's header revision is the put's own.
        const put = (wr.events ?? []).find((e) => e.type === 'PUT');
        if (put === undefined) continue;
        kv = put.kv;
        header = { ...wr.header, revision: put.kv.modRevision };
        break;
      }
      if (kv === undefined) return;
    }
    await send(call, leaderResponse(header, kv));
    watch: for await (const wr of watchResponses(s, { key: kv.key, startRevision: header.revision + 1 }, call)) {
      for (const e of wr.events ?? []) {
        if (e.type === 'DELETE') break watch;
        await send(call, leaderResponse(wr.header, e.kv));
      }
    }
  }
}

export function electionService(ctx: GrpcContext): Record<string, Unary | handleServerStreamingCall<Sized, ProtoObject>> {
  const unary =
    (handle: (s: KV, req: ProtoObject, call: Parameters<Unary>[0]) => Promise<ProtoObject>): Unary =>
    (call, callback) => {
      void (async () => {
        callback(null, await handle(ctx.serviceFor(call.metadata), call.request.message, call));
      })().catch((err: unknown) => fail(callback, err));
    };
  return {
    Campaign: unary(async (s, req, call) => {
      const name = bytesOf(req['name']);
      const lease = await leaseOrGrant(s, req['lease']);
      const { header, leader } = await campaign(s, name, lease, bytesOf(req['value']), call);
      return { header: headerProto(header), leader: leaderKeyProto(leader) };
    }),
    Proclaim: unary(async (s, req) => ({ header: headerProto(await proclaim(s, leaderKeyOf(req), bytesOf(req['value']))) })),
    Resign: unary(async (s, req) => ({ header: headerProto(await resign(s, leaderKeyOf(req))) })),
    Leader: unary(async (s, req) => {
      const { header, kv } = await currentLeader(s, bytesOf(req['name']));
      if (kv === undefined) throw new Error(NO_LEADER);
      return leaderResponse(header, kv);
    }),
    Observe: ((call) => {
      void (async () => {
        try {
          await observe(ctx.serviceFor(call.metadata), bytesOf(call.request.message['name']), call);
        } catch (err) {
          failStream(call, err);
        }
      })();
    }) satisfies handleServerStreamingCall<Sized, ProtoObject>,
  };
}
