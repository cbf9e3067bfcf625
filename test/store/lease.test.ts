import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/storage/memory-backend.js';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';
import { ManualClock } from '../../src/util/clock.js';
import { isKvError, type ErrorCode } from '../../src/util/errors.js';
import { SeededRng } from '../../src/util/rng.js';
import { leaseKey } from '../../src/store/lease.js';
import { EXPIRED_RETRY_MS, LEASE_REVOKE_RATE, Lessor, minLeaseTtlSeconds } from '../../src/store/lessor.js';

const code = (c: ErrorCode) => (e: unknown) => isKvError(e, c);

function expectKvError(fn: () => unknown, c: ErrorCode): void {
  expect(fn).toThrow();
  try {
    fn();
  } catch (e) {
    expect(isKvError(e, c), `expected ${c}, got ${String(e)}`).toBe(true);
  }
}

async function settled<T>(p: Promise<T>): Promise<'pending' | T | Error> {
  const marker = Symbol('pending');
  const r = await Promise.race([p.catch((e: Error) => e), new Promise<symbol>((res) => setImmediate(() => res(marker)))]);
  return r === marker ? 'pending' : (r as T | Error);
}

describe('Lessor: grant and revoke', () => {
  it('raises small TTLs to the minimum and rejects duplicates and huge TTLs with etcd errors', () => {
    const lessor = new Lessor(new ManualClock());
    expect(lessor.grant(1000, 1).lease).toEqual({ id: 1000, ttl: 2 });
    expect(lessor.grant(1001, -5).lease).toEqual({ id: 1001, ttl: 2 });
    expect(lessor.grant(1002, 60).lease).toEqual({ id: 1002, ttl: 60 });
    expectKvError(() => lessor.grant(1000, 60), 'LeaseExists');
    expectKvError(() => lessor.grant(5, 9_000_000_001), 'LeaseTTLTooLarge');
    expect(lessor.grant(6, 9_000_000_000).lease.ttl).toBe(9_000_000_000);
    expectKvError(() => lessor.grant(-1, 10), 'InvalidArgument');
    expect(lessor.leases()).toEqual([6, 1000, 1001, 1002]);
  });

  it('computes etcd’s minimum TTL from the raft timing', () => {
    expect(minLeaseTtlSeconds(100, 1000)).toBe(2);
    expect(minLeaseTtlSeconds(100, 5000)).toBe(8);
    expect(minLeaseTtlSeconds(10, 50)).toBe(1);
  });

  it('picks positive, unused, reproducible IDs for ID 0', () => {
    const ids = (seed: number) => {
      const lessor = new Lessor(new ManualClock(), { rng: new SeededRng(seed) });
      return Array.from({ length: 20 }, () => lessor.grant(0, 10).lease.id);
    };
    const a = ids(7);
    expect(a).toEqual(ids(7));
    expect(new Set(a).size).toBe(20);
    expect(a.every((id) => Number.isSafeInteger(id) && id > 0)).toBe(true);
    expectKvError(() => new Lessor(new ManualClock()).grant(0, 10), 'InvalidArgument');
  });

  it('revokes: plans the keys and the record delete, forgets the lease only when finished', () => {
    const lessor = new Lessor(new ManualClock());
    lessor.grant(7, 10);
    lessor.attach(7, utf8('b'));
    lessor.attach(7, utf8('a'));
    const plan = lessor.revokePlan(7);
    expect(plan.keys.map(fromUtf8)).toEqual(['a', 'b']);
    expect(plan.ops).toEqual([{ type: 'del', bucket: 'lease', key: leaseKey(7) }]);
    expect(lessor.exists(7)).toBe(true);
    lessor.finishRevoke(7);
    expect(lessor.exists(7)).toBe(false);
    expect(lessor.leaseOfKey(utf8('a'))).toBe(0);
    expectKvError(() => lessor.revokePlan(7), 'LeaseNotFound');
  });

  it('keeps one lease per key: attaching elsewhere moves it, detach removes it', () => {
    const lessor = new Lessor(new ManualClock());
    lessor.grant(1, 10);
    lessor.grant(2, 10);
    lessor.attach(1, utf8('k'));
    lessor.attach(2, utf8('k'));
    expect(lessor.timeToLive(1, { keys: true }).keys).toEqual([]);
    expect(lessor.timeToLive(2, { keys: true }).keys?.map(fromUtf8)).toEqual(['k']);
    lessor.detach(1, utf8('k')); // stale detach: no effect
    expect(lessor.leaseOfKey(utf8('k'))).toBe(2);
    lessor.detach(2, utf8('k'));
    expect(lessor.leaseOfKey(utf8('k'))).toBe(0);
    lessor.attach(99, utf8('x')); // unknown lease (stale record): attaches nothing
    expect(lessor.leaseOfKey(utf8('x'))).toBe(0);
  });
});

describe('Lessor: persistence', () => {
  it('recovers leases from the lease bucket and refuses a corrupt record', async () => {
    const backend = new MemoryBackend();
    const lessor = new Lessor(new ManualClock());
    await backend.write([...lessor.grant(3, 30).ops, ...lessor.grant(4, 1).ops]);
    const revocation = lessor.revokePlan(3);
    await backend.write(revocation.ops);
    const reopened = await Lessor.open(backend, new ManualClock());
    expect(reopened.leases()).toEqual([4]);
    expect(reopened.timeToLive(4)).toEqual({ id: 4, ttl: 2, grantedTtl: 2 });
    await backend.write([{ type: 'put', bucket: 'lease', key: leaseKey(9), value: new Uint8Array([1, 2, 3]) }]);
    await expect(Lessor.open(backend, new ManualClock())).rejects.toSatisfy(code('StorageCorrupt'));
  });
});

describe('Lessor: expiry on the leader', () => {
  it('expires nothing on a follower; after promote, leases expire at extend + TTL', () => {
    const clock = new ManualClock();
    const lessor = new Lessor(clock);
    lessor.grant(1, 5);
    lessor.grant(2, 10);
    clock.advance(60_000);
    expect(lessor.expired(10)).toEqual([]);
    lessor.promote(1000);
    clock.advance(5999);
    expect(lessor.expired(10)).toEqual([]);
    clock.advance(1);
    expect(lessor.expired(10)).toEqual([1]);
    expect(lessor.expired(10)).toEqual([]); // reported once, then again after the retry interval
    clock.advance(EXPIRED_RETRY_MS);
    expect(lessor.expired(10)).toEqual([1]);
    clock.advance(2000);
    expect(lessor.expired(1)).toEqual([2]); // limit respected, earliest first
    expect(lessor.expired(10)).toEqual([]);
    clock.advance(1000);
    expect(lessor.expired(10)).toEqual([1]);
  });

  it('keep-alive resets the deadline to now + TTL and is refused off the leader or for unknown leases', async () => {
    const clock = new ManualClock();
    const lessor = new Lessor(clock);
    lessor.grant(1, 10);
    await expect(lessor.renew(1)).rejects.toSatisfy(code('NotLeader'));
    lessor.promote(0);
    clock.advance(9000);
    expect(lessor.timeToLive(1)).toEqual({ id: 1, ttl: 1, grantedTtl: 10 });
    expect(await lessor.renew(1)).toBe(10);
    clock.advance(9999);
    expect(lessor.expired(10)).toEqual([]);
    clock.advance(1);
    expect(lessor.expired(10)).toEqual([1]);
    await expect(lessor.renew(42)).rejects.toSatisfy(code('LeaseNotFound'));
    expect(lessor.timeToLive(42)).toEqual({ id: 42, ttl: -1, grantedTtl: 0 });
  });

  it('a renewal of an expired lease waits for the revocation, or for losing leadership', async () => {
    const clock = new ManualClock();
    const lessor = new Lessor(clock);
    lessor.grant(1, 5);
    lessor.grant(2, 5);
    lessor.promote(0);
    clock.advance(5000);
    const r1 = lessor.renew(1);
    const r2 = lessor.renew(2);
    expect(await settled(r1)).toBe('pending');
    lessor.finishRevoke(1);
    expect(await settled(r1)).toSatisfy(code('LeaseNotFound'));
    expect(await settled(r2)).toBe('pending');
    lessor.demote();
    expect(await settled(r2)).toSatisfy(code('NotLeader'));
  });

  it('a new leader extends every lease; a demoted one stops tracking', () => {
    const clock = new ManualClock();
    const lessor = new Lessor(clock);
    lessor.grant(1, 5);
    lessor.promote(0);
    clock.advance(4000);
    lessor.demote();
    clock.advance(10_000);
    expect(lessor.expired(10)).toEqual([]);
    lessor.promote(1000);
    expect(lessor.timeToLive(1).ttl).toBe(6);
    clock.advance(5999);
    expect(lessor.expired(10)).toEqual([]);
    clock.advance(1);
    expect(lessor.expired(10)).toEqual([1]);
  });

  it('leases granted on the leader are tracked from the grant', () => {
    const clock = new ManualClock();
    const lessor = new Lessor(clock);
    lessor.promote(1000);
    clock.advance(500);
    lessor.grant(1, 3);
    clock.advance(2999);
    expect(lessor.expired(10)).toEqual([]);
    clock.advance(1);
    expect(lessor.expired(10)).toEqual([1]);
  });

  it('spreads expiries on promote so that at most 3/4 of the revoke rate fall in one second', () => {
    const clock = new ManualClock();
    const lessor = new Lessor(clock);
    const n = 3 * LEASE_REVOKE_RATE;
    for (let id = 1; id <= n; id++) lessor.grant(id, 10);
    lessor.promote(1000);
    const perSecond = new Map<number, number>();
    for (const id of lessor.leases()) {
      const ttl = lessor.timeToLive(id).ttl;
      perSecond.set(ttl, (perSecond.get(ttl) ?? 0) + 1);
    }
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual((3 * LEASE_REVOKE_RATE) / 4 + 1);
    expect(Math.min(...perSecond.keys())).toBe(11);
    // All of them still expire, in bounded batches.
    clock.advance(20_000);
    expect(lessor.expired(n).length).toBe(n);
  });
});

describe('Lessor: checkpoints (etcd --experimental-enable-lease-checkpoint)', () => {
  const FIVE_MIN = 5 * 60 * 1000;

  it('the leader checkpoints long leases each interval; a new leader continues from the checkpoint', () => {
    const clock = new ManualClock();
    const leader = new Lessor(clock, { checkpointIntervalMs: FIVE_MIN });
    const follower = new Lessor(clock, { checkpointIntervalMs: FIVE_MIN });
    for (const l of [leader, follower]) {
      l.grant(1, 600);
      l.grant(2, 60); // not longer than the interval: never checkpointed
    }
    leader.promote(0);
    clock.advance(FIVE_MIN - 1);
    expect(leader.checkpointsDue(1000)).toEqual([]);
    clock.advance(1);
    const due = leader.checkpointsDue(1000);
    expect(due).toEqual([{ id: 1, remainingTtl: 300 }]);
    for (const cp of due) for (const l of [leader, follower]) expect(l.checkpoint(cp)).toEqual([]);
    expect(follower.checkpointsDue(1000)).toEqual([]); // followers never schedule
    // The leader fails; the follower takes over and keeps the remaining 300 s, not a fresh 600 s.
    follower.promote(1000);
    expect(follower.timeToLive(1).ttl).toBe(301);
    clock.advance(301_000 - 1);
    expect(follower.expired(10)).toEqual([2]); // the short lease got the usual extend + full TTL
    clock.advance(1);
    expect(follower.expired(10)).toEqual([1]);
  });

  it('a renewal clears the checkpoint through the next batch of checkpoints', async () => {
    const clock = new ManualClock();
    const leader = new Lessor(clock, { checkpointIntervalMs: FIVE_MIN });
    leader.grant(1, 600);
    leader.promote(0);
    clock.advance(FIVE_MIN);
    for (const cp of leader.checkpointsDue(1000)) leader.checkpoint(cp);
    expect(await leader.renew(1)).toBe(600);
    expect(leader.checkpointsDue(1000)).toEqual([{ id: 1, remainingTtl: 0 }]);
    leader.checkpoint({ id: 1, remainingTtl: 0 });
    leader.demote();
    leader.promote(0);
    expect(leader.timeToLive(1).ttl).toBe(600);
  });

  it('persisted checkpoints survive a restart', async () => {
    const backend = new MemoryBackend();
    const clock = new ManualClock();
    const lessor = new Lessor(clock, { checkpointIntervalMs: FIVE_MIN, persistCheckpoints: true });
    await backend.write(lessor.grant(4, 900).ops);
    await backend.write(lessor.checkpoint({ id: 4, remainingTtl: 120 }));
    expect(lessor.checkpoint({ id: 77, remainingTtl: 5 })).toEqual([]); // unknown lease: nothing
    const reopened = await Lessor.open(backend, clock);
    reopened.promote(0);
    expect(reopened.timeToLive(4)).toEqual({ id: 4, ttl: 120, grantedTtl: 900 });
  });
});
