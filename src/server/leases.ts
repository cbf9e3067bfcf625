/**
 * Leases in a member (etcd `EtcdServer.LeaseGrant/Revoke/Renew` and `revokeExpiredLeases`):
 * grants and revocations go through raft and are applied by every member; keep-alives and
 * expiry happen on the leader only. Expired leases are revoked by proposals, and leadership is
 * re-checked at the moment each is proposed, so a deposed leader never revokes (pitfall 10).
 * A keep-alive renews only after a ReadIndex round confirmed that this member still leads
 * (etcd issue 15247, fixed in etcd 3.5.13 by `ensureLeadership`): a partitioned old leader
 * that still believes it leads must not tell a client its lease lives on while the new leader
 * lets it expire.
 */
import type { BackendOp } from '../storage/backend.js';
import type { Backend } from '../storage/backend.js';
import type { KvStore } from '../store/kv-store.js';
import { revokeLease } from '../store/lease-revoke.js';
import type { Lessor, LeaseTimeToLive } from '../store/lessor.js';
import type { Clock, Timer } from '../util/clock.js';
import { KvError } from '../util/errors.js';
import type { InternalRequest } from './requests.js';

export interface LeaseGrantResult {
  readonly id: number;
  readonly ttl: number;
}

/** Revocations proposed per expiry check, at most (etcd proposes expired leases in batches). */
const EXPIRY_BATCH = 500;
const EXPIRY_CHECK_MS = 500;

export class MemberLeases {
  private timer: Timer | undefined;
  /** Keep-alives waiting for their leadership round; failed at once if leadership is lost. */
  private readonly confirming = new Set<(err: KvError) => void>();

  constructor(
    readonly lessor: Lessor,
    private readonly store: KvStore,
    private readonly backend: Backend,
    private readonly propose: (request: InternalRequest) => Promise<unknown>,
    private readonly isLeader: () => boolean,
    /**
     * A linearizable-read round (ReadIndex: a heartbeat quorum acknowledged this leader after
     * the call, and apply caught up, like etcd's waitAppliedIndex). Bounded by the reads' own
     * limits and request timeout.
     */
    private readonly leadershipRound: () => Promise<void>,
  ) {}

  startExpiryLoop(clock: Clock): void {
    this.timer = clock.setInterval(() => this.revokeExpired(), EXPIRY_CHECK_MS);
  }

  stop(): void {
    this.timer?.cancel();
  }

  /** Leadership changed: only the leader tracks deadlines; a new one extends every lease. */
  onLeadership(isLeader: boolean, extendMs: number): void {
    if (isLeader && !this.lessor.isPrimary) this.lessor.promote(extendMs);
    else if (!isLeader && this.lessor.isPrimary) this.lessor.demote();
    if (!isLeader) this.failConfirming();
  }

  async grant(id: number, ttl: number): Promise<LeaseGrantResult> {
    // The ID is chosen before proposing so every member applies the same one.
    const leaseId = id === 0 ? this.lessor.newId() : id;
    return (await this.propose({ op: 'leaseGrant', id: leaseId, ttl })) as LeaseGrantResult;
  }

  async revoke(id: number): Promise<void> {
    await this.propose({ op: 'leaseRevoke', id });
  }

  /**
   * Keep-alive: leader only (followers get NotLeader; the HTTP layer forwards), and only once
   * a leadership round started after the call confirmed it; NotLeader if leadership is lost first.
   */
  async renew(id: number): Promise<number> {
    await this.confirmLeadership();
    const ttl = await this.lessor.renew(id);
    this.onRenewed?.();
    return ttl;
  }

  /** Counted in etcd_debugging_lease_renewed_total. */
  onRenewed: (() => void) | undefined;

  timeToLive(id: number, keys: boolean): LeaseTimeToLive {
    return this.lessor.timeToLive(id, { keys });
  }

  list(): number[] {
    return this.lessor.leases();
  }

  /** Applies a committed lease request; undefined for requests that are not about leases. */
  apply(request: InternalRequest, extra: readonly BackendOp[]): Promise<unknown> | undefined {
    switch (request.op) {
      case 'leaseGrant':
        return this.applyGrant(request.id, request.ttl, extra);
      case 'leaseRevoke':
        return revokeLease(this.lessor, this.store, request.id, extra).then(() => ({}));
      default:
        return undefined;
    }
  }

  private async applyGrant(id: number, ttl: number, extra: readonly BackendOp[]): Promise<LeaseGrantResult> {
    if (id === 0) throw new KvError('InvalidArgument', 'cairn: a lease grant must carry its ID when proposed');
    const { lease, ops } = this.lessor.grant(id, ttl);
    await this.backend.write([...ops, ...extra]);
    return lease;
  }

  private confirmLeadership(): Promise<void> {
    if (!this.isLeader()) return Promise.reject(new KvError('NotLeader'));
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: Error): void => {
        if (settled) return;
        settled = true;
        this.confirming.delete(settle);
        if (err !== undefined) reject(err);
        // The round confirmed leadership when its heartbeats went out; a step-down since shows here.
        else if (this.isLeader()) resolve();
        else reject(new KvError('NotLeader'));
      };
      this.confirming.add(settle);
      this.leadershipRound().then(() => settle(), (err: Error) => settle(err));
    });
  }

  private failConfirming(): void {
    for (const settle of [...this.confirming]) settle(new KvError('NotLeader'));
  }

  private revokeExpired(): void {
    if (!this.isLeader()) return;
    for (const id of this.lessor.expired(EXPIRY_BATCH)) {
      if (!this.isLeader()) return;
      // A failure (lost leadership, already revoked) is retried by expired() or moot.
      this.propose({ op: 'leaseRevoke', id }).catch(() => undefined);
    }
  }
}
