/**
 * The lessor (etcd `lease/lessor.go`): leases, their attached keys and, on the leader only,
 * their deadlines.
 *
 * - Grant and revoke are raft-applied on every member. They change memory at once and return the
 *   backend ops the member writes in its single apply batch. Revocation also deletes the lease's
 *   keys in the same revision: see `revokeLease` (lease-revoke.ts).
 * - Deadlines are kept only while primary (the leader): followers hold every lease "forever".
 *   `expired()` reports leases past their deadline against the injected clock; the member then
 *   proposes their revocation through raft like any request. A lease reported but not yet revoked
 *   is reported again after EXPIRED_RETRY_MS (etcd's expiredLeaseRetryInterval).
 * - `promote(extend)` on becoming leader gives every lease now + extend + TTL, spreading large
 *   numbers of leases so that at most 3/4 of the revoke rate expire per second.
 * - Keep-alive (`renew`) is leader-only and not a raft op.
 * - Optional checkpoints (etcd's lease checkpointing): the leader's `checkpointsDue()` lists
 *   remaining TTLs to propose; `checkpoint()` applies one on every member, so a later `promote`
 *   starts from it.
 */
import type { Backend, BackendOp } from '../storage/backend.js';
import type { Clock } from '../util/clock.js';
import { KvError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { decodeLeaseRecord, deleteLeaseOp, Lease, MAX_LEASE_TTL, putLeaseOp } from './lease.js';
import { LeaseDueQueue } from './lease-queue.js';
import type { LeaseHooks } from './types.js';
import { keyString } from './watcher.js';

/** etcd's leaseRevokeRate: revocations per second the leader proposes at most. */
export const LEASE_REVOKE_RATE = 1000;
/** etcd's expiredLeaseRetryInterval. */
export const EXPIRED_RETRY_MS = 3000;
/** Renewals waiting on one expired lease's revocation, at most. */
export const MAX_RENEW_WAITERS_PER_LEASE = 1024;

/** etcd: minTTL = ⌊3·electionTicks/2⌋ heartbeats, rounded up to whole seconds (2 s by default). */
export function minLeaseTtlSeconds(heartbeatMs: number, electionTimeoutMs: number): number {
  const electionTicks = Math.floor(electionTimeoutMs / heartbeatMs);
  return Math.max(1, Math.ceil((Math.floor((3 * electionTicks) / 2) * heartbeatMs) / 1000));
}

export interface LessorOptions {
  /** Granted TTLs below this are raised to it (default 2 s, as etcd with its default timing). */
  readonly minTtlSeconds?: number;
  /** Picks IDs for grants with ID 0 (must be seeded for determinism). */
  readonly rng?: Rng;
  /**
   * etcd's --experimental-enable-lease-checkpoint: the leader checkpoints each lease's remaining
   * TTL through raft this often (etcd: 5 min), so a new leader continues from it instead of
   * renewing every lease. Off when absent.
   */
  readonly checkpointIntervalMs?: number;
  /** etcd's --experimental-enable-lease-checkpoint-persist: checkpoints also go to the lease bucket. */
  readonly persistCheckpoints?: boolean;
}

/** A lease's remaining TTL to record through raft (0 clears an earlier checkpoint). */
export interface LeaseCheckpoint {
  readonly id: number;
  readonly remainingTtl: number;
}

export interface LeaseGrant {
  readonly id: number;
  /** The granted TTL in seconds, after raising to the minimum. */
  readonly ttl: number;
}

export interface LeaseRevocation {
  readonly id: number;
  /** The attached keys, in key order: delete them in the revocation's revision. */
  readonly keys: Uint8Array[];
  readonly ops: BackendOp[];
}

export interface LeaseTimeToLive {
  readonly id: number;
  /** Remaining whole seconds; -1 for an unknown lease (etcd answers so, not with an error). */
  readonly ttl: number;
  readonly grantedTtl: number;
  readonly keys?: Uint8Array[];
}

/** A renewal of an expired lease, parked until its revocation (or loss of leadership) settles it. */
type RenewWaiter = (err: KvError) => void;

export class Lessor implements LeaseHooks {
  private readonly leasesById = new Map<number, Lease>();
  /** key (keyString) → lease ID: a key holds at most one lease. */
  private readonly itemMap = new Map<string, number>();
  /** Leader only: leases by next time to check for expiry. */
  private readonly expiryQueue = new LeaseDueQueue();
  /** Leader only: leases by next checkpoint time. */
  private readonly checkpointQueue = new LeaseDueQueue();
  /** Leader only: checkpoints clearing a remaining TTL after a renewal (etcd proposes them at once). */
  private readonly clearCheckpoints = new Set<number>();
  private readonly renewWaiters = new Map<number, Set<RenewWaiter>>();
  private primary = false;
  readonly minTtlSeconds: number;
  private readonly rng: Rng | undefined;
  private readonly checkpointIntervalMs: number | undefined;
  private readonly persistCheckpoints: boolean;

  constructor(
    private readonly clock: Clock,
    options: LessorOptions = {},
  ) {
    this.minTtlSeconds = options.minTtlSeconds ?? 2;
    if (!Number.isSafeInteger(this.minTtlSeconds) || this.minTtlSeconds < 1) throw new KvError('InvalidArgument', 'minimum lease TTL must be a positive integer');
    this.rng = options.rng;
    this.checkpointIntervalMs = options.checkpointIntervalMs;
    this.persistCheckpoints = options.persistCheckpoints ?? false;
  }

  /** A lessor holding the leases recorded in `backend`'s lease bucket. */
  static async open(backend: Backend, clock: Clock, options: LessorOptions = {}): Promise<Lessor> {
    const lessor = new Lessor(clock, options);
    await lessor.reload(backend);
    return lessor;
  }

  /**
   * Replaces every lease with the bucket's contents (after a snapshot restore). Attachments are
   * rebuilt by the kv store's load, which calls `attach` for every leased key.
   */
  async reload(backend: Backend): Promise<void> {
    this.rejectAllWaiters(() => new KvError('LeaseNotFound'));
    this.leasesById.clear();
    this.itemMap.clear();
    this.expiryQueue.clear();
    this.checkpointQueue.clear();
    this.clearCheckpoints.clear();
    for await (const [k, v] of backend.iterate('lease')) {
      const { id, ttl, remainingTtl } = decodeLeaseRecord(k, v);
      const lease = new Lease(id, ttl);
      lease.remainingTtl = remainingTtl;
      this.leasesById.set(id, lease);
      if (this.primary) this.track(lease, 0);
    }
  }

  get isPrimary(): boolean {
    return this.primary;
  }

  /** A fresh unused positive ID. The member picks it before proposing, so every member applies the same one. */
  newId(): number {
    if (this.rng === undefined) throw new KvError('InvalidArgument', 'cairn: lease ID 0 needs an ID generator');
    for (;;) {
      // 53 random bits: 21 high, 32 low; 0 is "no lease" and never picked.
      const id = this.rng.int(2 ** 21) * 2 ** 32 + this.rng.int(2 ** 32);
      if (id > 0 && !this.leasesById.has(id)) return id;
    }
  }

  /** etcd's Grant (applied through raft). Returns the lease and the ops for the apply batch. */
  grant(id: number, ttlSeconds: number): { lease: LeaseGrant; ops: BackendOp[] } {
    if (!Number.isSafeInteger(id) || id < 0) throw new KvError('InvalidArgument', 'cairn: lease ID must be a non-negative safe integer');
    if (!Number.isSafeInteger(ttlSeconds)) throw new KvError('InvalidArgument', 'cairn: lease TTL must be an integer');
    if (ttlSeconds > MAX_LEASE_TTL) throw new KvError('LeaseTTLTooLarge');
    const leaseId = id === 0 ? this.newId() : id;
    if (this.leasesById.has(leaseId)) throw new KvError('LeaseExists');
    const ttl = Math.max(ttlSeconds, this.minTtlSeconds);
    const lease = new Lease(leaseId, ttl);
    this.leasesById.set(leaseId, lease);
    if (this.primary) this.track(lease, 0);
    return { lease: { id: leaseId, ttl }, ops: [putLeaseOp(leaseId, ttl)] };
  }

  /** What revoking `id` deletes and writes, without changing anything yet. */
  revokePlan(id: number): LeaseRevocation {
    const lease = this.mustGet(id);
    return { id, keys: lease.keyBytes(), ops: [deleteLeaseOp(id)] };
  }

  /** Forgets a lease whose revocation (keys and record) has been written. */
  finishRevoke(id: number): void {
    const lease = this.mustGet(id);
    this.untrack(lease);
    for (const k of lease.keys) if (this.itemMap.get(k) === id) this.itemMap.delete(k);
    this.leasesById.delete(id);
    this.clearCheckpoints.delete(id);
    this.rejectWaiters(id, () => new KvError('LeaseNotFound'));
  }

  /**
   * etcd's Checkpoint (applied through raft on every member): records the lease's remaining TTL,
   * which a future leader's promote starts from. Returns the ops for the apply batch.
   */
  checkpoint(cp: LeaseCheckpoint): BackendOp[] {
    const lease = this.leasesById.get(cp.id);
    if (lease === undefined) return [];
    if (!Number.isSafeInteger(cp.remainingTtl) || cp.remainingTtl < 0) throw new KvError('InvalidArgument', 'cairn: remaining TTL must be a non-negative integer');
    lease.remainingTtl = cp.remainingTtl;
    return this.persistCheckpoints ? [putLeaseOp(lease.id, lease.ttl, lease.remainingTtl)] : [];
  }

  /**
   * Leader only: checkpoints to propose now, at most `limit` (etcd: batches of 1000) — renewed
   * leases clearing their checkpoint first, then leases whose checkpoint interval passed.
   */
  checkpointsDue(limit: number): LeaseCheckpoint[] {
    if (!this.primary || limit <= 0) return [];
    const out: LeaseCheckpoint[] = [];
    for (const id of this.clearCheckpoints) {
      if (out.length >= limit) return out;
      this.clearCheckpoints.delete(id);
      out.push({ id, remainingTtl: 0 });
    }
    const now = this.clock.now();
    for (const id of this.checkpointQueue.takeDue(now, limit - out.length)) {
      const lease = this.leasesById.get(id);
      if (lease === undefined || lease.expiry <= now) continue;
      this.scheduleCheckpoint(lease);
      const remainingTtl = Math.ceil((lease.expiry - now) / 1000);
      if (remainingTtl < lease.ttl) out.push({ id, remainingTtl });
    }
    return out;
  }

  /**
   * etcd's Renew (keep-alive, leader only): the deadline becomes now + TTL; returns the TTL. An
   * expired lease awaiting revocation waits for it and then fails with LeaseNotFound (or
   * NotLeader if leadership is lost first), as etcd does.
   */
  renew(id: number): Promise<number> {
    if (!this.primary) return Promise.reject(new KvError('NotLeader'));
    const lease = this.leasesById.get(id);
    if (lease === undefined) return Promise.reject(new KvError('LeaseNotFound'));
    if (lease.expiry <= this.clock.now()) {
      let waiters = this.renewWaiters.get(id);
      if (waiters === undefined) {
        waiters = new Set();
        this.renewWaiters.set(id, waiters);
      }
      if (waiters.size >= MAX_RENEW_WAITERS_PER_LEASE) return Promise.reject(new KvError('TooManyRequests'));
      const set = waiters;
      return new Promise<number>((_resolve, reject) => {
        set.add(reject);
      });
    }
    if (lease.remainingTtl > 0) {
      // etcd: a renewal clears the checkpoint, itself through raft (at most 2 entries per interval).
      lease.remainingTtl = 0;
      this.clearCheckpoints.add(id);
    }
    this.track(lease, 0);
    return Promise.resolve(lease.ttl);
  }

  timeToLive(id: number, options: { keys?: boolean } = {}): LeaseTimeToLive {
    const lease = this.leasesById.get(id);
    if (lease === undefined) return { id, ttl: -1, grantedTtl: 0 };
    const base = { id, ttl: lease.remainingSeconds(this.clock.now()), grantedTtl: lease.ttl };
    return options.keys ? { ...base, keys: lease.keyBytes() } : base;
  }

  /** Every lease ID this member knows, ascending. */
  leases(): number[] {
    return [...this.leasesById.keys()].sort((a, b) => a - b);
  }

  lookup(id: number): LeaseGrant | undefined {
    const lease = this.leasesById.get(id);
    return lease === undefined ? undefined : { id, ttl: lease.ttl };
  }

  /**
   * Leader only: up to `limit` leases whose deadline has passed, earliest first. Each is reported
   * again after EXPIRED_RETRY_MS until its revocation is applied.
   */
  expired(limit: number): number[] {
    if (!this.primary || limit <= 0) return [];
    const now = this.clock.now();
    const due = this.expiryQueue.takeDue(now, limit);
    for (const id of due) this.expiryQueue.set(id, now + EXPIRED_RETRY_MS);
    return due;
  }

  /**
   * etcd's Promote, on becoming leader: every lease expires at now + extend + TTL; with more than
   * LEASE_REVOKE_RATE leases, expiries that would pile up are spread out.
   */
  promote(extendMs: number): void {
    this.primary = true;
    const now = this.clock.now();
    for (const lease of this.leasesById.values()) this.track(lease, extendMs);
    if (this.leasesById.size < LEASE_REVOKE_RATE) return;
    const leases = [...this.leasesById.values()].sort((a, b) => a.expiry - b.expiry || a.id - b.id);
    const targetPerSecond = (3 * LEASE_REVOKE_RATE) / 4;
    let baseWindow = (leases[0] as Lease).expiry - now;
    let nextWindow = baseWindow + 1000;
    let expires = 0;
    for (const lease of leases) {
      const remaining = lease.expiry - now;
      if (remaining > nextWindow) {
        baseWindow = remaining;
        nextWindow = baseWindow + 1000;
        expires = 1;
        continue;
      }
      expires++;
      if (expires <= targetPerSecond) continue;
      // If leases are extended by n seconds, leases n seconds ahead of the base window get one second.
      const delay = (1000 * expires) / targetPerSecond - (remaining - baseWindow);
      nextWindow = baseWindow + delay;
      this.track(lease, delay + extendMs);
    }
  }

  /** etcd's Demote, on losing leadership: nothing expires here any more. */
  demote(): void {
    this.primary = false;
    for (const lease of this.leasesById.values()) this.untrack(lease);
    this.checkpointQueue.clear();
    this.clearCheckpoints.clear();
    this.rejectAllWaiters(() => new KvError('NotLeader'));
  }

  // ---- LeaseHooks (called by the kv store after each durable write) ----

  exists(lease: number): boolean {
    return this.leasesById.has(lease);
  }

  attach(leaseId: number, key: Uint8Array): void {
    const lease = this.leasesById.get(leaseId);
    // The kv store checked the lease before writing; a stale record (e.g. on reload) attaches nothing.
    if (lease === undefined) return;
    const k = keyString(key);
    const previous = this.itemMap.get(k);
    if (previous !== undefined && previous !== leaseId) this.leasesById.get(previous)?.keys.delete(k);
    lease.keys.add(k);
    this.itemMap.set(k, leaseId);
  }

  detach(leaseId: number, key: Uint8Array): void {
    const k = keyString(key);
    this.leasesById.get(leaseId)?.keys.delete(k);
    if (this.itemMap.get(k) === leaseId) this.itemMap.delete(k);
  }

  /** The lease a key is attached to, 0 for none. */
  leaseOfKey(key: Uint8Array): number {
    return this.itemMap.get(keyString(key)) ?? 0;
  }

  // ---- internals ----

  private mustGet(id: number): Lease {
    const lease = this.leasesById.get(id);
    if (lease === undefined) throw new KvError('LeaseNotFound');
    return lease;
  }

  /** Sets the deadline to now + extend + remaining TTL and queues it (leader only). */
  private track(lease: Lease, extendMs: number): void {
    lease.refresh(this.clock.now(), extendMs);
    this.expiryQueue.set(lease.id, lease.expiry);
    this.scheduleCheckpoint(lease);
  }

  /** etcd's scheduleCheckpointIfNeeded: only leases longer than the interval are checkpointed. */
  private scheduleCheckpoint(lease: Lease): void {
    const interval = this.checkpointIntervalMs;
    if (interval === undefined || lease.ttl * 1000 <= interval) return;
    this.checkpointQueue.set(lease.id, this.clock.now() + interval);
  }

  private untrack(lease: Lease): void {
    this.expiryQueue.delete(lease.id);
    this.checkpointQueue.delete(lease.id);
    lease.forever();
  }

  private rejectWaiters(id: number, error: () => KvError): void {
    const waiters = this.renewWaiters.get(id);
    if (waiters === undefined) return;
    this.renewWaiters.delete(id);
    for (const reject of waiters) reject(error());
  }

  private rejectAllWaiters(error: () => KvError): void {
    for (const id of [...this.renewWaiters.keys()]) this.rejectWaiters(id, error);
  }
}
