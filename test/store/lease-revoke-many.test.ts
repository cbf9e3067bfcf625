/**
 * Lease revoke is not capped by --max-txn-ops (etcd's lessor.Revoke deletes through its own
 * internal txn): KvStore.deleteKeys deletes any number of keys in one revision and one batch.
 */
import { describe, expect, it } from 'vitest';
import type { BackendOp } from '../../src/storage/backend.js';
import { MemoryBackend } from '../../src/storage/memory-backend.js';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';
import { ManualClock } from '../../src/util/clock.js';
import { isKvError } from '../../src/util/errors.js';
import { KvStore } from '../../src/store/kv-store.js';
import { revokeLease } from '../../src/store/lease-revoke.js';
import { Lessor } from '../../src/store/lessor.js';
import type { Event } from '../../src/store/types.js';
import { WatchHub } from '../../src/store/watch-hub.js';

class CountingBackend extends MemoryBackend {
  writes = 0;
  failNext = false;
  override async write(ops: readonly BackendOp[]): Promise<void> {
    this.writes++;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    return super.write(ops);
  }
}

const KEYS = 1000;
const keyOf = (i: number) => utf8(`lease/${String(i).padStart(4, '0')}`);

async function leaseWithKeys(n: number) {
  const backend = new CountingBackend();
  const clock = new ManualClock();
  const lessor = await Lessor.open(backend, clock);
  const kv = await KvStore.open(backend, { leases: lessor });
  await backend.write(lessor.grant(7, 60).ops);
  for (let i = 0; i < n; i++) await kv.put({ key: keyOf(i), value: utf8('v'), lease: 7 });
  await kv.put({ key: utf8('other'), value: utf8('stays') });
  return { backend, clock, lessor, kv };
}

describe('lease revoke beyond --max-txn-ops', () => {
  it(`a lease with ${KEYS} keys revokes in one revision and one batch; watchers see ${KEYS} DELETEs at it`, async () => {
    const { backend, clock, lessor, kv } = await leaseWithKeys(KEYS);
    // The public txn is still capped: the same deletes as one client txn are refused.
    await expect(
      kv.txn({ success: Array.from({ length: KEYS }, (_, i) => ({ type: 'deleteRange' as const, request: { key: keyOf(i) } })) }),
    ).rejects.toSatisfy((e) => isKvError(e, 'TooManyOps'));

    const hub = new WatchHub(kv, clock, { streamBufferResponses: 10_000 });
    kv.onCommit(hub.listener);
    const stream = hub.newStream();
    stream.watch({ key: utf8('lease/'), rangeEnd: utf8('lease0') });
    const before = kv.currentRevision();
    const writesBefore = backend.writes;
    const plan = await revokeLease(lessor, kv, 7);

    expect(plan.keys).toHaveLength(KEYS);
    expect(kv.currentRevision()).toBe(before + 1);
    expect(backend.writes - writesBefore).toBe(1);
    expect(lessor.exists(7)).toBe(false);
    expect((await kv.range({ key: utf8('lease/'), rangeEnd: utf8('lease0'), countOnly: true })).count).toBe(0);
    expect((await kv.range({ key: utf8('other') })).kvs.map((x) => fromUtf8(x.value))).toEqual(['stays']);
    expect((await Lessor.open(backend, new ManualClock())).leases()).toEqual([]);

    const events: Event[] = [];
    for (const r of await stream.drainBuffered()) if (!r.created) events.push(...r.events);
    expect(events).toHaveLength(KEYS);
    expect(events.every((e) => e.type === 'DELETE' && e.kv.modRevision === before + 1)).toBe(true);
    expect(events.map((e) => fromUtf8(e.kv.key))).toEqual(Array.from({ length: KEYS }, (_, i) => fromUtf8(keyOf(i))));
    hub.close();
    await kv.close();
  });

  it('deleteKeys skips keys already gone or listed twice, and takes no revision when nothing is left', async () => {
    const { backend, kv } = await leaseWithKeys(2);
    const extra: BackendOp = { type: 'put', bucket: 'meta', key: utf8('applied'), value: utf8('1') };
    const before = kv.currentRevision();
    expect(await kv.deleteKeys([keyOf(0), keyOf(0), utf8('missing'), keyOf(1)], [extra])).toEqual({ revision: before + 1, deleted: 2, prevKvs: [] });
    expect(await backend.get('meta', utf8('applied'))).toEqual(utf8('1'));
    const extra2: BackendOp = { type: 'put', bucket: 'meta', key: utf8('applied'), value: utf8('2') };
    expect(await kv.deleteKeys([keyOf(0)], [extra2])).toEqual({ revision: before + 1, deleted: 0, prevKvs: [] });
    expect(kv.currentRevision()).toBe(before + 1);
    expect(await backend.get('meta', utf8('applied'))).toEqual(utf8('2'));
  });

  it('a failed batch leaves the keys, the revision and the lease as they were', async () => {
    const { backend, lessor, kv } = await leaseWithKeys(200);
    const before = kv.currentRevision();
    backend.failNext = true;
    await expect(revokeLease(lessor, kv, 7)).rejects.toThrow('disk full');
    expect(kv.currentRevision()).toBe(before);
    expect(lessor.exists(7)).toBe(true);
    expect((await kv.range({ key: utf8('lease/'), rangeEnd: utf8('lease0'), countOnly: true })).count).toBe(200);
    await revokeLease(lessor, kv, 7);
    expect(kv.currentRevision()).toBe(before + 1);
    expect((await kv.range({ key: utf8('lease/'), rangeEnd: utf8('lease0'), countOnly: true })).count).toBe(0);
  });
});
