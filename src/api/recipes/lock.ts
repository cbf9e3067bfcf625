/**
 * etcd's v3lock service as etcd serves it: clientv3's mutex recipe (concurrency/mutex.go) run
 * against the member as the caller sees it. Lock puts `<name>/<lease hex>` if absent, then waits
 * until every key under `<name>/` created before it is deleted; a request without a lease gets
 * a fresh 60 s lease that nobody keeps alive, so such a lock expires, as in etcd. Unlock deletes
 * the key. The gateway and gRPC both call these (DESIGN.md: request logic lives once).
 */
import { concatBytes, prefixRangeEnd, utf8 } from '../../util/bytes.js';
import { KvError } from '../../util/errors.js';
import type { KV, LockRequest, LockResponse, RecipeHeaderResponse, UnlockRequest } from '../kv.js';
import { waitDeletes } from './wait.js';

/** etcd's lock and election servers grant this TTL when the request names no lease. */
const DEFAULT_LEASE_TTL_S = 60;

/** The request's lease, or (for 0) a fresh lease of 60 s that nobody keeps alive, as etcd's session. */
export async function leaseOrGrant(service: KV, lease: bigint): Promise<bigint> {
  return lease === 0n ? (await service.leaseGrant({ ttl: DEFAULT_LEASE_TTL_S })).id : lease;
}

/** `<name>/`, the prefix every candidate key of a lock or election shares. */
export const prefixOf = (name: Uint8Array): Uint8Array => concatBytes(name, utf8('/'));

/** clientv3's Mutex.Lock: returns the held key and the header of the last read. */
export async function lock(service: KV, req: LockRequest, signal: AbortSignal): Promise<LockResponse> {
  const lease = await leaseOrGrant(service, req.lease);
  const prefix = prefixOf(req.name);
  const key = concatBytes(prefix, utf8(lease.toString(16)));
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
    header = await waitDeletes(service, prefix, rangeEnd, myRev - 1, signal);
  }
  return { header, key };
}

export async function unlock(service: KV, req: UnlockRequest): Promise<RecipeHeaderResponse> {
  if (req.key.length === 0) throw new KvError('EmptyKey');
  const r = await service.deleteRange({ key: req.key });
  return { header: r.header };
}

/** Every failure of etcd's lock and election services is code 2 (Unknown) with its text (verified 3.4.23). */
export function recipeFailure(err: unknown): KvError {
  return new KvError('Unknown', err instanceof Error ? err.message : String(err));
}
