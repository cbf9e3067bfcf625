/** Compaction (reference §4.6) in bounded batches, its crash recovery, and HashKV. */
import { describe, expect, it } from 'vitest';
import { KvStore } from '../../src/store/kv-store.js';
import { MemoryBackend } from '../../src/storage/memory-backend.js';
import { decodeRevKey } from '../../src/store/revision.js';
import { FINISHED_COMPACT_KEY, SCHEDULED_COMPACT_KEY } from '../../src/store/compaction.js';
import type { Backend } from '../../src/storage/backend.js';
import { b, kv, openStore, putAll, ZERO } from './model/helpers.js';

async function revisionsInBackend(backend: Backend): Promise<string[]> {
  const out: string[] = [];
  for await (const [k] of backend.iterate('key')) {
    const { rev, tombstone } = decodeRevKey(k);
    out.push(`${rev.main}.${rev.sub}${tombstone ? 't' : ''}`);
  }
  return out;
}

/** A yield the test opens by hand, to hold a compaction between two batches. */
class Gate {
  private waiting: Array<() => void> = [];
  open = false;
  readonly yieldFn = (): Promise<void> => (this.open ? Promise.resolve() : new Promise((resolve) => this.waiting.push(resolve)));
  get blocked(): number {
    return this.waiting.length;
  }
  step(): void {
    this.waiting.shift()?.();
  }
  release(): void {
    this.open = true;
    for (const w of this.waiting.splice(0)) w();
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('§4.6 compaction', () => {
  it('checks compacted < revision <= current', async () => {
    const { store } = await openStore();
    await putAll(store, [['a', '1'], ['a', '2']]);
    await expect(store.compact(4)).rejects.toMatchObject({ code: 'FutureRev' });
    await (await store.compact(3)).physical; // the current revision is fine
    await expect(store.compact(3)).rejects.toMatchObject({ code: 'Compacted' });
    await expect(store.compact(2)).rejects.toMatchObject({ code: 'Compacted' });
    expect(store.compactedRevision()).toBe(3);
  });

  it('keeps each key\'s newest revision at or below the compaction point, a tombstone only if exactly at it (etcd #19179)', async () => {
    const { store, backend } = await openStore();
    await putAll(store, [['a', '1'], ['a', '2'], ['b', '1'], ['c', '1']]); // 2 3 4 5
    await store.deleteRange({ key: b('b') }); // 6
    await store.put({ key: b('a'), value: b('3') }); // 7
    await store.deleteRange({ key: b('c') }); // 8
    expect(await revisionsInBackend(backend)).toEqual(['2.0', '3.0', '4.0', '5.0', '6.0t', '7.0', '8.0t']);
    await (await store.compact(6)).physical;
    // a: 3 kept (newest <= 6), 7 after; b: its tombstone at exactly 6 kept; c: 5 kept, its tombstone 8 after.
    expect(await revisionsInBackend(backend)).toEqual(['3.0', '5.0', '6.0t', '7.0', '8.0t']);
    expect((await store.range({ key: b('a'), rangeEnd: ZERO, revision: 6 })).kvs).toEqual([kv('a', 2, 3, 2, '2'), kv('c', 5, 5, 1, '1')]);
    expect((await store.range({ key: b('a'), rangeEnd: ZERO })).kvs).toEqual([kv('a', 2, 7, 3, '3')]);
    await (await store.compact(8)).physical;
    // b's tombstone 6 is below 8 now: gone; c's tombstone at exactly 8 stays.
    expect(await revisionsInBackend(backend)).toEqual(['7.0', '8.0t']);
    expect((await store.range({ key: b('a') })).kvs).toEqual([kv('a', 2, 7, 3, '3')]);
    expect(store.indexedKeys()).toBe(2);
    await store.put({ key: b('z'), value: b('1') }); // 9
    await (await store.compact(9)).physical;
    expect(await revisionsInBackend(backend)).toEqual(['7.0', '9.0']);
    expect(store.indexedKeys()).toBe(2);
  });

  it('runs in bounded batches while writes and reads go on between them', async () => {
    const gate = new Gate();
    const { store, backend } = await openStore({ compactionBatchSize: 2, yieldBetweenBatches: gate.yieldFn });
    for (let i = 0; i < 10; i++) await store.put({ key: b(`k${i}`), value: b('old') });
    for (let i = 0; i < 10; i++) await store.put({ key: b(`k${i}`), value: b('new') }); // revs 12..21
    const { physical } = await store.compact(21);
    let done = false;
    void physical.then(() => (done = true));
    await flush();
    expect(gate.blocked).toBe(1); // one index batch done, waiting
    // Apply goes on meanwhile: a write and reads at and after the compaction point.
    await store.put({ key: b('k0'), value: b('newer') });
    expect((await store.range({ key: b('k0'), revision: 21 })).kvs).toEqual([kv('k0', 2, 12, 2, 'new')]);
    for (let i = 0; i < 20 && !done; i++) {
      gate.step();
      await flush();
    }
    expect(done).toBe(true);
    expect((await revisionsInBackend(backend)).length).toBe(11);
    expect((await store.range({ key: b('k'), rangeEnd: b('l') })).count).toBe(10);
    expect((await store.range({ key: b('k0') })).kvs).toEqual([kv('k0', 2, 22, 3, 'newer')]);
  });

  it('a crash in the middle resumes on open and ends like an uninterrupted compaction', async () => {
    const gate = new Gate();
    const backend = new MemoryBackend();
    const store = await KvStore.open(backend, { compactionBatchSize: 3, yieldBetweenBatches: gate.yieldFn });
    for (let i = 0; i < 12; i++) await store.put({ key: b(`k${i % 4}`), value: b(`${i}`) });
    await store.deleteRange({ key: b('k3') });
    const twin = await openStore();
    for (let i = 0; i < 12; i++) await twin.store.put({ key: b(`k${i % 4}`), value: b(`${i}`) });
    await twin.store.deleteRange({ key: b('k3') });
    await (await twin.store.compact(12)).physical;

    await store.compact(12);
    for (let i = 0; i < 3; i++) {
      gate.step();
      await flush();
    }
    // Some records are gone, not all: the backend says the compaction is scheduled, not finished.
    expect((await revisionsInBackend(backend)).length).toBeLessThan(13);
    expect((await revisionsInBackend(backend)).length).toBeGreaterThan(4);
    expect(await backend.get('meta', SCHEDULED_COMPACT_KEY)).toBeDefined();
    expect(await backend.get('meta', FINISHED_COMPACT_KEY)).toBeUndefined();
    const closing = store.close();
    gate.release();
    await closing;

    const reopened = await KvStore.open(backend, { compactionBatchSize: 3 });
    expect(reopened.compactedRevision()).toBe(12);
    expect(reopened.currentRevision()).toBe(14);
    await reopened.compactionsIdle();
    expect(await revisionsInBackend(backend)).toEqual(await revisionsInBackend(twin.backend));
    for (const rev of [12, 13, 14]) {
      expect(await reopened.range({ key: ZERO, rangeEnd: ZERO, revision: rev })).toEqual(await twin.store.range({ key: ZERO, rangeEnd: ZERO, revision: rev }));
    }
    expect((await reopened.hash()).hash).toBe((await twin.store.hash()).hash);
  });

  it('after everything at the compaction point was a tombstone, the revision survives a restart', async () => {
    const { store, backend } = await openStore();
    await store.put({ key: b('a'), value: b('1') });
    await store.deleteRange({ key: b('a') });
    await (await store.compact(3)).physical;
    expect(await revisionsInBackend(backend)).toEqual(['3.0t']);
    const reopened = await KvStore.open(backend);
    expect(reopened.currentRevision()).toBe(3);
    expect(await reopened.put({ key: b('b'), value: b('1') })).toEqual({ revision: 4 });
  });
});

describe('HashKV', () => {
  async function history(store: KvStore, upTo = Infinity) {
    const ops: Array<() => Promise<unknown>> = [
      () => putAll(store, [['a', '1'], ['b', '1'], ['a', '2']]),
      () => store.deleteRange({ key: b('b') }),
      () => store.txn({ success: [{ type: 'put', request: { key: b('c'), value: b('3') } }, { type: 'put', request: { key: b('d'), value: b('4') } }] }),
      () => store.put({ key: b('a'), value: b('3') }),
    ];
    for (const op of ops.slice(0, upTo)) await op();
  }

  it('is the same on stores with the same history, whatever their physical compaction progress', async () => {
    const gate = new Gate();
    const paused = await openStore({ compactionBatchSize: 1, yieldBetweenBatches: gate.yieldFn });
    const done = await openStore();
    await history(paused.store);
    await history(done.store);
    await paused.store.compact(5);
    await (await done.store.compact(5)).physical;
    gate.step();
    await flush();
    expect(paused.store.pendingCompactions()).toBe(1);
    const h = await done.store.hash();
    expect(h).toEqual({ hash: expect.any(Number), revision: 7, compactRevision: 5 });
    expect(await paused.store.hash()).toEqual(h);
    gate.release();
    await paused.store.compactionsIdle();
    expect(await paused.store.hash()).toEqual(h);
  });

  it('at a past revision equals the hash of a store that stopped there', async () => {
    const full = await openStore();
    const part = await openStore();
    await history(full.store);
    await history(part.store, 2);
    expect(part.store.currentRevision()).toBe(5);
    expect((await full.store.hash(5)).hash).toBe((await part.store.hash()).hash);
    expect((await full.store.hash(6)).hash).not.toBe((await part.store.hash()).hash);
  });

  it('differs when a value differs, survives a restart, and checks the revision', async () => {
    const one = await openStore();
    const two = await openStore();
    await putAll(one.store, [['a', '1']]);
    await putAll(two.store, [['a', '2']]);
    expect((await one.store.hash()).hash).not.toBe((await two.store.hash()).hash);
    expect((await (await KvStore.open(one.backend)).hash()).hash).toBe((await one.store.hash()).hash);
    await (await one.store.compact(2)).physical;
    await expect(one.store.hash(2)).rejects.toMatchObject({ code: 'Compacted' });
    await expect(one.store.hash(3)).rejects.toMatchObject({ code: 'FutureRev' });
  });
});
