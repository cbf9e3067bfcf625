/**
 * One lease (etcd `lease/lease.go`) and its record in the backend's `lease` bucket.
 *
 * The record is etcd's leasepb.Lease {ID, TTL, RemainingTTL} as a msgpack array under the
 * 8-byte big-endian ID. Only the granted TTL is durable; the deadline lives in memory on the
 * leader (followers hold every lease "forever"), which is why a new leader extends them all.
 */
import { Packr } from 'msgpackr';
import type { BackendOp } from '../storage/backend.js';
import { KvError } from '../util/errors.js';
import { decodeUint64, encodeUint64 } from './revision.js';
import { keyString } from './watcher.js';

/** etcd's MaxLeaseTTL: 9,000,000,000 seconds. */
export const MAX_LEASE_TTL = 9_000_000_000;

const packr = new Packr({ useRecords: false });

export class Lease {
  /** Monotonic ms when it expires; Infinity while this member is not the leader. */
  expiry = Infinity;
  /** Seconds left at the last checkpoint (etcd's remainingTTL); 0: none, use the full TTL. */
  remainingTtl = 0;
  /** Attached keys, as keyString(key). */
  readonly keys = new Set<string>();

  constructor(
    readonly id: number,
    /** Granted TTL in seconds (already raised to the minimum). */
    readonly ttl: number,
  ) {}

  /** etcd's refresh: the deadline moves to now + extend + (checkpointed remaining TTL, or the TTL). */
  refresh(nowMs: number, extendMs: number): void {
    this.expiry = nowMs + extendMs + (this.remainingTtl > 0 ? this.remainingTtl : this.ttl) * 1000;
  }

  /** etcd's forever: a follower never expires a lease on its own. */
  forever(): void {
    this.expiry = Infinity;
  }

  /** Remaining whole seconds (etcd truncates), never negative; the granted TTL when not tracked. */
  remainingSeconds(nowMs: number): number {
    if (this.expiry === Infinity) return this.ttl;
    return Math.max(0, Math.trunc((this.expiry - nowMs) / 1000));
  }

  keyBytes(): Uint8Array[] {
    return [...this.keys].sort().map((k) => new Uint8Array(Buffer.from(k, 'latin1')));
  }

  hasKey(key: Uint8Array): boolean {
    return this.keys.has(keyString(key));
  }
}

export function leaseKey(id: number): Uint8Array {
  return encodeUint64(id);
}

export function putLeaseOp(id: number, ttl: number, remainingTtl = 0): BackendOp {
  return { type: 'put', bucket: 'lease', key: leaseKey(id), value: packr.pack([id, ttl, remainingTtl]) };
}

export function deleteLeaseOp(id: number): BackendOp {
  return { type: 'del', bucket: 'lease', key: leaseKey(id) };
}

/** Decodes and checks a lease record (storage is checked on read-back). */
export function decodeLeaseRecord(key: Uint8Array, value: Uint8Array): { id: number; ttl: number; remainingTtl: number } {
  const id = decodeUint64(key, 'lease ID');
  let r: unknown;
  try {
    r = packr.unpack(value);
  } catch (err) {
    throw new KvError('StorageCorrupt', `cairn: lease record ${id} does not decode: ${(err as Error).message}`);
  }
  if (!Array.isArray(r) || r.length !== 3 || r[0] !== id || !isTtl(r[1]) || !(r[2] === 0 || isTtl(r[2]))) {
    throw new KvError('StorageCorrupt', `cairn: lease record ${id} is malformed`);
  }
  return { id, ttl: r[1], remainingTtl: r[2] };
}

function isTtl(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 && n <= MAX_LEASE_TTL;
}
