/** The lessor wired to the real KvStore over a MemoryBackend, with the watch hub listening. */
import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/storage/memory-backend.js';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';
import { ManualClock } from '../../src/util/clock.js';
import { isKvError } from '../../src/util/errors.js';
import { KvStore } from '../../src/store/kv-store.js';
import { revokeLease } from '../../src/store/lease-revoke.js';
import { Lessor } from '../../src/store/lessor.js';
import { WatchHub } from '../../src/store/watch-hub.js';

async function setup(backend = new MemoryBackend()) {
  const clock = new ManualClock();
  const lessor = await Lessor.open(backend, clock);
  const kv = await KvStore.open(backend, { leases: lessor });
  const hub = new WatchHub(kv, clock);
  kv.onCommit(hub.listener);
  return { backend, clock, lessor, kv, hub };
}

describe('leases with the kv store', () => {
  it('attaches on put, moves on re-put, detaches on put without lease and on delete', async () => {
    const { backend, lessor, kv } = await setup();
    await backend.write([...lessor.grant(1, 10).ops, ...lessor.grant(2, 10).ops]);
    await kv.put({ key: utf8('a'), value: utf8('1'), lease: 1 });
    await kv.put({ key: utf8('b'), value: utf8('1'), lease: 1 });
    await kv.put({ key: utf8('c'), value: utf8('1'), lease: 1 });
    await kv.put({ key: utf8('b'), value: utf8('2'), lease: 2 });
    await kv.put({ key: utf8('c'), value: utf8('2') });
    expect(lessor.timeToLive(1, { keys: true }).keys?.map(fromUtf8)).toEqual(['a']);
    expect(lessor.timeToLive(2, { keys: true }).keys?.map(fromUtf8)).toEqual(['b']);
    await kv.deleteRange({ key: utf8('a') });
    expect(lessor.timeToLive(1, { keys: true }).keys).toEqual([]);
    await expect(kv.put({ key: utf8('z'), value: utf8('1'), lease: 424242 })).rejects.toSatisfy((e) => isKvError(e, 'LeaseNotFound'));
  });

  it('revokes a lease by deleting its keys in one revision, seen by a watcher as one response', async () => {
    const { backend, lessor, kv, hub } = await setup();
    await backend.write(lessor.grant(7, 10).ops);
    await kv.put({ key: utf8('k1'), value: utf8('x'), lease: 7 });
    await kv.put({ key: utf8('k2'), value: utf8('x'), lease: 7 });
    await kv.put({ key: utf8('k3'), value: utf8('x') });
    const stream = hub.newStream();
    stream.watch({ key: utf8('k'), rangeEnd: utf8('l'), prevKv: true });
    const before = kv.currentRevision();
    const plan = await revokeLease(lessor, kv, 7);
    expect(plan.keys.map(fromUtf8)).toEqual(['k1', 'k2']);
    expect(kv.currentRevision()).toBe(before + 1);
    expect(lessor.exists(7)).toBe(false);
    const range = await kv.range({ key: utf8('k'), rangeEnd: utf8('l') });
    expect(range.kvs.map((x) => fromUtf8(x.key))).toEqual(['k3']);
    const responses = (await stream.drainBuffered()).filter((r) => !r.created);
    expect(responses).toHaveLength(1);
    expect(responses[0]?.events.map((e) => [e.type, fromUtf8(e.kv.key), e.kv.modRevision, e.prevKv && fromUtf8(e.prevKv.value)])).toEqual([
      ['DELETE', 'k1', before + 1, 'x'],
      ['DELETE', 'k2', before + 1, 'x'],
    ]);
    // The record is gone too: a reopened lessor does not know the lease.
    expect((await Lessor.open(backend, new ManualClock())).leases()).toEqual([]);
    await expect(revokeLease(lessor, kv, 7)).rejects.toSatisfy((e) => isKvError(e, 'LeaseNotFound'));
  });

  it('revoking a lease without keys writes its record delete but takes no revision', async () => {
    const { backend, lessor, kv } = await setup();
    await backend.write(lessor.grant(3, 10).ops);
    const before = kv.currentRevision();
    await revokeLease(lessor, kv, 3);
    expect(kv.currentRevision()).toBe(before);
    expect((await Lessor.open(backend, new ManualClock())).leases()).toEqual([]);
  });

  it('expiry on the leader ends in a revocation that deletes the keys', async () => {
    const { backend, clock, lessor, kv } = await setup();
    lessor.promote(1000);
    await backend.write(lessor.grant(5, 3).ops);
    await kv.put({ key: utf8('lock'), value: utf8('me'), lease: 5 });
    clock.advance(2999); // granted on the leader: now + TTL, no election extension
    expect(lessor.expired(100)).toEqual([]);
    clock.advance(1);
    for (const id of lessor.expired(100)) await revokeLease(lessor, kv, id);
    expect((await kv.range({ key: utf8('lock') })).kvs).toEqual([]);
  });

  it('after a restart, the kv store re-attaches keys to the recovered leases', async () => {
    const first = await setup();
    await first.backend.write(first.lessor.grant(9, 60).ops);
    await first.kv.put({ key: utf8('p'), value: utf8('1'), lease: 9 });
    await first.kv.put({ key: utf8('q'), value: utf8('1'), lease: 9 });
    await first.kv.close();
    const second = await setup(first.backend);
    expect(second.lessor.timeToLive(9, { keys: true })).toMatchObject({ grantedTtl: 60, keys: [utf8('p'), utf8('q')] });
    expect(second.lessor.leaseOfKey(utf8('q'))).toBe(9);
  });
});
