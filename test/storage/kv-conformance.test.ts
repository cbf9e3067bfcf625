/**
 * The ordered KV under the WAL and the backend: LevelKv and MemoryKv must agree on ordering,
 * bounds, atomic batches and snapshot isolation, or the twins' behaviour would drift.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBatch, type OrderedKv } from '../../src/storage/kv.js';
import { LevelKv } from '../../src/storage/level-kv.js';
import { MemoryKv } from '../../src/storage/memory-kv.js';
import { collect, tempDir } from './harness.js';

const k = (...bytes: number[]): Uint8Array => new Uint8Array(bytes);
const show = (rows: Array<[Uint8Array, Uint8Array]>): string[] => rows.map(([key, v]) => `${[...key].join('.')}=${[...v].join('.')}`);

const impls: Array<[string, () => Promise<{ kv: OrderedKv; cleanup: () => Promise<void> }>]> = [
  [
    'LevelKv',
    async () => {
      const dir = await tempDir();
      const kv = await LevelKv.open(join(dir, 'db'), dir);
      return { kv, cleanup: async () => (await kv.close(), rm(dir, { recursive: true, force: true })) };
    },
  ],
  ['MemoryKv', async () => ({ kv: new MemoryKv().open(), cleanup: async () => {} })],
];

for (const [name, make] of impls) {
  describe(`OrderedKv conformance: ${name}`, () => {
    let kv: OrderedKv;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ kv, cleanup } = await make());
      await kv.batch([1, 2, 3, 4].map((i) => ({ type: 'put' as const, key: k(1, i), value: k(i) })), { sync: true });
    });
    afterEach(() => cleanup());

    it('iterates bytewise with bounds, reversed, limited; keys() agrees', async () => {
      expect(show(await collect(kv.iterate({ gt: k(1, 1), lte: k(1, 3) })))).toEqual(['1.2=2', '1.3=3']);
      expect(show(await collect(kv.iterate({ gte: k(1), lt: k(2), reverse: true, limit: 3 })))).toEqual(['1.4=4', '1.3=3', '1.2=2']);
      expect((await collect(kv.keys({ gte: k(1, 2), lt: k(1, 4) }))).map((x) => [...x])).toEqual([[1, 2], [1, 3]]);
      expect(await collect(kv.iterate({ gte: k(1), limit: 0 }))).toEqual([]);
    });

    it('applies a batch in order and atomically; an empty batch is a no-op', async () => {
      await kv.batch([{ type: 'del', key: k(1, 1) }, { type: 'put', key: k(1, 1), value: k(9) }, { type: 'del', key: k(1, 2) }], { sync: false });
      await kv.batch([], { sync: true });
      expect(show(await collect(kv.iterate({})))).toEqual(['1.1=9', '1.3=3', '1.4=4']);
    });

    it('an incremental batch writes views into a shared buffer (a staging slab); a closed store refuses it', async () => {
      const slab = new Uint8Array([1, 7, 70, 1, 8, 80, 1, 9, 90]);
      const batch = startBatch(kv);
      for (let at = 0; at < slab.length; at += 3) batch.put(slab.subarray(at, at + 2), slab.subarray(at + 2, at + 3));
      expect(batch.length).toBe(3);
      await batch.write({ sync: true });
      expect(show(await collect(kv.iterate({ gte: k(1, 5) })))).toEqual(['1.7=70', '1.8=80', '1.9=90']);
      const late = startBatch(kv);
      late.put(k(1, 10), k(10));
      await kv.close();
      await expect(late.write({ sync: true })).rejects.toThrow();
    });

    it('snapshots and running iterators do not see later writes', async () => {
      const snap = kv.snapshot();
      const it = kv.iterate({})[Symbol.asyncIterator]();
      const first = await it.next();
      await kv.batch([{ type: 'put', key: k(1, 5), value: k(5) }, { type: 'del', key: k(1, 3) }], { sync: false });
      const rest: string[] = [];
      for (let r = await it.next(); r.done !== true; r = await it.next()) rest.push(...show([r.value]));
      expect([...show([first.value as [Uint8Array, Uint8Array]]), ...rest]).toEqual(['1.1=1', '1.2=2', '1.3=3', '1.4=4']);
      expect(show(await collect(snap.iterate({})))).toEqual(['1.1=1', '1.2=2', '1.3=3', '1.4=4']);
      expect(await snap.get(k(1, 5))).toBeUndefined();
      expect([...((await snap.get(k(1, 3))) ?? [])]).toEqual([3]);
      await snap.release();
      expect(show(await collect(kv.iterate({})))).toEqual(['1.1=1', '1.2=2', '1.4=4', '1.5=5']);
    });
  });
}
