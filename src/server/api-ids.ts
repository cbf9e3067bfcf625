/**
 * 64-bit IDs at the service boundary. The API carries member, cluster and lease IDs as bigints
 * (a real etcd's are random 64-bit values, beyond a JS number's 2^53); inside the member they are
 * numbers, because cairn only ever issues IDs below 2^53 (lease IDs: lessor.ts refuses larger
 * ones; member IDs: membership.ts). So an ID at or above 2^53 cannot name anything cairn holds:
 * it is answered as "not found", as etcd answers any ID it does not know, never rounded.
 */
import type * as api from '../api/kv.js';
import type * as store from '../store/requests.js';
import type { Event, KeyValue } from '../store/types.js';
import { assertNever } from '../util/assert.js';
import { KvError } from '../util/errors.js';

const MAX_LOCAL = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_LOCAL = -MAX_LOCAL;

/** The member's number for an API ID, or undefined when no ID that large can exist here. */
export function localId(id: bigint): number | undefined {
  return id > MAX_LOCAL || id < MIN_LOCAL ? undefined : Number(id);
}

/** A lease the request names: one beyond cairn's range is etcd's "requested lease not found". */
export function localLeaseId(id: bigint): number {
  const n = localId(id);
  if (n === undefined) throw new KvError('LeaseNotFound');
  return n;
}

/** A member the request names: one beyond cairn's range is etcd's "member not found". */
export function localMemberId(id: bigint): number {
  const n = localId(id);
  if (n === undefined) throw new KvError('MemberNotFound');
  return n;
}

/** 0n for the common "no lease" without allocating a bigint per key. */
export function apiId(n: number): bigint {
  return n === 0 ? 0n : BigInt(n);
}

export function toApiKv(kv: KeyValue): api.KeyValue {
  return { ...kv, lease: apiId(kv.lease) };
}

export function toApiKvs(kvs: readonly KeyValue[]): api.KeyValue[] {
  return kvs.map(toApiKv);
}

/**
 * One API event per store event, however many watchers it goes to: the hub hands the same Event
 * (and, for a one-event revision, the same array) to every watcher it matches, and the HTTP
 * layer encodes each API event once by identity (http/watch-encode.ts). Converting per watcher
 * made 10,000 watchers of a key cost 10,000 conversions and JSON encodings per put (issue 18).
 */
const apiEvents = new WeakMap<Event, api.Event>();
const apiEventArrays = new WeakMap<readonly Event[], readonly api.Event[]>();

export function toApiEvent(e: Event): api.Event {
  let out = apiEvents.get(e);
  if (out === undefined) {
    out = e.prevKv === undefined ? { type: e.type, kv: toApiKv(e.kv) } : { type: e.type, kv: toApiKv(e.kv), prevKv: toApiKv(e.prevKv) };
    apiEvents.set(e, out);
  }
  return out;
}

export function toApiEvents(events: readonly Event[]): readonly api.Event[] {
  let out = apiEventArrays.get(events);
  if (out === undefined) {
    out = events.map(toApiEvent);
    apiEventArrays.set(events, out);
  }
  return out;
}

// Absent stays absent (no `lease: undefined` key): requests travel through raft as msgpack.
export function toStorePut(req: api.PutRequest): store.PutRequest {
  const { lease, ...rest } = req;
  return lease === undefined ? rest : { ...rest, lease: localLeaseId(lease) };
}

const MIRROR: Record<store.CompareResult, store.CompareResult> = { EQUAL: 'EQUAL', NOT_EQUAL: 'NOT_EQUAL', LESS: 'GREATER', GREATER: 'LESS' };

/**
 * A compare's lease operand beyond cairn's range equals no key's lease (each is 0 or a lease ID
 * in [1, 2^53)). Compared with -1 instead, every key orders as against a hugely negative operand,
 * and the mirror image of a hugely positive one: so -1, with LESS and GREATER swapped for those.
 */
function toStoreCompare(c: api.Compare): store.Compare {
  const { lease, ...rest } = c;
  if (lease === undefined) return rest;
  const n = localId(lease);
  if (n !== undefined) return { ...rest, lease: n };
  const mirrored = lease > 0n && rest.target === 'LEASE';
  return { ...rest, lease: -1, ...(mirrored ? { result: MIRROR[rest.result ?? 'EQUAL'] } : {}) };
}

function toStoreOp(op: api.RequestOp): store.RequestOp {
  switch (op.type) {
    case 'range':
    case 'deleteRange':
      return op;
    case 'put':
      return { type: 'put', request: toStorePut(op.request) };
    case 'txn':
      return { type: 'txn', request: toStoreTxn(op.request) };
    default:
      return assertNever(op, 'request op');
  }
}

export function toStoreTxn(req: api.TxnRequest): store.TxnRequest {
  const out: { compare?: store.Compare[]; success?: store.RequestOp[]; failure?: store.RequestOp[] } = {};
  if (req.compare !== undefined) out.compare = req.compare.map(toStoreCompare);
  if (req.success !== undefined) out.success = req.success.map(toStoreOp);
  if (req.failure !== undefined) out.failure = req.failure.map(toStoreOp);
  return out;
}
