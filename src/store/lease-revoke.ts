/**
 * Applying a lease revocation (etcd's lessor.Revoke): the lease's keys are deleted and its record
 * removed in ONE write — one revision, one backend batch together with the member's own ops (the
 * applied index) — and only then is the lease forgotten in memory. A failed write leaves the
 * lessor untouched. Watchers see ordinary DELETE events, all in that one revision.
 */
import type { BackendOp } from '../storage/backend.js';
import type { Lessor, LeaseRevocation } from './lessor.js';
import type { TxnRequest, TxnResponse } from './requests.js';

/** etcd's RangeDeleter: deletes keys in one write txn, with extra ops in the same batch. */
export interface LeaseKeyDeleter {
  deleteKeys(keys: readonly Uint8Array[], extra: readonly BackendOp[]): Promise<unknown>;
}

/**
 * A deleter over the kv store's txn: one txn of deletes. Note: it is bound by the store's
 * max-txn-ops, which etcd's internal revoke txn is not; a store method without that limit
 * should replace it for leases with more keys.
 */
export function txnKeyDeleter(kv: { txn(r: TxnRequest, extra?: readonly BackendOp[]): Promise<TxnResponse> }): LeaseKeyDeleter {
  return {
    deleteKeys: (keys, extra) => kv.txn({ success: keys.map((key) => ({ type: 'deleteRange', request: { key } })) }, extra),
  };
}

/** Revokes `id`: throws LeaseNotFound for an unknown lease, before writing anything. */
export async function revokeLease(lessor: Lessor, deleter: LeaseKeyDeleter, id: number, extra: readonly BackendOp[] = []): Promise<LeaseRevocation> {
  const plan = lessor.revokePlan(id);
  await deleter.deleteKeys(plan.keys, [...plan.ops, ...extra]);
  lessor.finishRevoke(id);
  return plan;
}
