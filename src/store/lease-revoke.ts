/**
 * Applying a lease revocation (etcd's lessor.Revoke): the lease's keys are deleted and its record
 * removed in ONE write — one revision, one backend batch together with the member's own ops (the
 * applied index) — and only then is the lease forgotten in memory. A failed write leaves the
 * lessor untouched. Watchers see ordinary DELETE events, all in that one revision.
 */
import type { BackendOp } from '../storage/backend.js';
import type { Lessor, LeaseRevocation } from './lessor.js';

/**
 * etcd's RangeDeleter: deletes keys in one write (one revision), with extra ops in the same batch,
 * bound by no --max-txn-ops. `KvStore` is one (its `deleteKeys`).
 */
export interface LeaseKeyDeleter {
  deleteKeys(keys: readonly Uint8Array[], extra: readonly BackendOp[]): Promise<unknown>;
}

/** Revokes `id`: throws LeaseNotFound for an unknown lease, before writing anything. */
export async function revokeLease(lessor: Lessor, deleter: LeaseKeyDeleter, id: number, extra: readonly BackendOp[] = []): Promise<LeaseRevocation> {
  const plan = lessor.revokePlan(id);
  await deleter.deleteKeys(plan.keys, [...plan.ops, ...extra]);
  lessor.finishRevoke(id);
  return plan;
}
