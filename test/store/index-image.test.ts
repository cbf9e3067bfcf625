/**
 * The persisted key index image (issue 18, src/store/index-image*.ts): a store reopened from its
 * image plus the records after it holds exactly what a full rebuild from the key bucket gives, after
 * a crash at every write of the disk while images are written between (and during) random writes;
 * and any doubt (a damaged chunk, a compaction since, a restore) falls back or is handled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataDir } from '../../src/storage/data-dir.js';
import fc from 'fast-check';
import { KvStore } from '../../src/store/kv-store.js';
import { KvBackend } from '../../src/storage/kv-backend.js';
import { BufferedBackend } from '../../src/storage/buffered-backend.js';
import { MemoryKv } from '../../src/storage/memory-kv.js';
import { MemoryBackend } from '../../src/storage/memory-backend.js';
import { loadIndexImage, readImageHeader } from '../../src/store/index-image-load.js';
import { chunkKey, decodeChunk, encodeChunk } from '../../src/store/index-image.js';
import { IndexImageWriter } from '../../src/store/index-image-writer.js';
import { TreeIndex } from '../../src/store/tree-index.js';
import { isLocalRecord } from '../../src/storage/keys.js';
import { FINISHED_COMPACT_KEY } from '../../src/store/compaction.js';
import { decodeUint64 } from '../../src/store/revision.js';
import { SeededRng } from '../../src/util/rng.js';
import type { Backend, BackendOp } from '../../src/storage/backend.js';
import { b, ZERO } from './model/helpers.js';
import { FakeLeases } from './model/lease-fake.js';

const ALL = { key: ZERO, rangeEnd: ZERO };
const IMAGE = { minRecords: 1_000_000, keysPerChunk: 2 };
/** A 53-bit lease ID: it must survive the image's encoding exactly. */
const LEASE = 2 ** 40 + 3;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

type Step =
  | { readonly op: 'put'; readonly key: number; readonly lease: number }
  | { readonly op: 'del'; readonly key: number }
  | { readonly op: 'txn'; readonly keys: number[] }
  | { readonly op: 'compact' }
  | { readonly op: 'image' }
  | { readonly op: 'tick' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('put' as const), key: fc.integer({ min: 0, max: 7 }), lease: fc.constantFrom(0, 0, LEASE) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('del' as const), key: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('txn' as const), keys: fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'compact' as const }) },
  { weight: 2, arbitrary: fc.constant({ op: 'image' as const }) },
  { weight: 3, arbitrary: fc.constant({ op: 'tick' as const }) },
);

async function run(store: KvStore, steps: readonly Step[]): Promise<void> {
  const images: Array<Promise<boolean>> = [];
  for (const s of steps) {
    if (s.op === 'put') await store.put({ key: b(`k${s.key}`), value: b(`v${store.currentRevision()}`), lease: s.lease });
    else if (s.op === 'del') await store.deleteRange({ key: b(`k${s.key}`) });
    else if (s.op === 'txn') await store.txn({ compare: [], success: [...new Set(s.keys)].map((k) => ({ type: 'put' as const, request: { key: b(`k${k}`), value: b('t') } })), failure: [] });
    else if (s.op === 'compact') {
      const rev = store.currentRevision() - 1;
      if (rev > store.compactedRevision()) await store.compact(rev);
    } else if (s.op === 'image') images.push(store.writeIndexImage()); // not awaited: runs between the next steps
    else await tick();
  }
  await Promise.all(images);
  await store.compactionsIdle();
}

/** Everything a reader can see, at every readable revision. */
async function state(store: KvStore): Promise<unknown> {
  const revs: unknown[] = [];
  for (let rev = store.compactedRevision(); rev <= store.currentRevision(); rev++) revs.push(await store.range({ ...ALL, revision: rev }));
  return { current: store.currentRevision(), compacted: store.compactedRevision(), keys: store.indexedKeys(), leased: [...store.leasedKeys()], count: await store.range({ ...ALL, countOnly: true }), revs };
}

function open(disk: MemoryKv): Backend {
  return new BufferedBackend(new KvBackend(disk.open()), 1);
}

/** The disk after a power cut, opened twice on copies: from the image and by a full rebuild. */
async function reopenBothWays(disk: MemoryKv): Promise<{ viaImage: unknown; rebuilt: unknown; usedImage: boolean }> {
  disk.powerLoss('drop', new SeededRng(1));
  const a = disk.fork();
  const c = disk.fork();
  const probe = open(disk.fork());
  const finished = await probe.get('meta', FINISHED_COMPACT_KEY);
  const usedImage = (await loadIndexImage(probe, finished === undefined ? 0 : decodeUint64(finished, 'finished'))) !== undefined;
  const viaImage = await KvStore.open(open(a), { indexImage: IMAGE });
  const rebuilt = await KvStore.open(open(c), { indexImage: false });
  await viaImage.compactionsIdle();
  await rebuilt.compactionsIdle();
  return { viaImage: await state(viaImage), rebuilt: await state(rebuilt), usedImage };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('key index image', () => {
  it("over the member's LevelDB data dir: reopened from the image, the store equals a full rebuild", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-image-'));
    dirs.push(dir);
    const first = await openDataDir(dir);
    const store = await KvStore.open(first.backend, { indexImage: { minRecords: 1_000_000, keysPerChunk: 3 } });
    await run(store, [
      ...Array.from({ length: 20 }, (_, i): Step => ({ op: 'put', key: i % 8, lease: 0 })),
      { op: 'del', key: 2 },
      { op: 'compact' },
      { op: 'image' },
      { op: 'put', key: 2, lease: 0 },
      { op: 'txn', keys: [1, 5] },
    ]);
    const expected = await state(store);
    await store.close();
    await first.close();
    const second = await openDataDir(dir);
    try {
      expect(await loadIndexImage(second.backend, store.compactedRevision())).toBeDefined();
      expect(await state(await KvStore.open(second.backend, { indexImage: IMAGE }))).toEqual(expected);
      expect(await state(await KvStore.open(second.backend, { indexImage: false }))).toEqual(expected);
    } finally {
      await second.close();
    }
  });

  it('a crash after any write of the disk reopens to what a full rebuild gives (fast-check)', async () => {
    let usedImage = 0;
    let crashes = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 40 }), async (steps) => {
        const disk = new MemoryKv();
        const forks: MemoryKv[] = [];
        disk.onWrite = () => forks.push(disk.fork());
        const store = await KvStore.open(open(disk), { indexImage: IMAGE, leases: new FakeLeases(new Set([LEASE])) });
        await run(store, [...steps, { op: 'image' }, { op: 'put', key: 1, lease: 0 }]);
        await store.close();
        for (const f of forks) {
          const r = await reopenBothWays(f);
          expect(r.viaImage).toEqual(r.rebuilt);
          crashes++;
          if (r.usedImage) usedImage++;
        }
      }),
      { numRuns: 40 },
    );
    // Not vacuous: many of the crashes above did load an image.
    expect(usedImage).toBeGreaterThan(Math.max(20, crashes / 20));
  }, 120_000);

  it('a chunk is never taken while a txn has changed the index but not yet queued its write', async () => {
    // Reads that wait for the event loop, as LevelDB's do: a txn's range after its put then leaves
    // the index ahead of the backend's queue across a macrotask, where the writer's slices run.
    class SlowReads extends BufferedBackend {
      override async get(...a: Parameters<BufferedBackend['get']>): ReturnType<BufferedBackend['get']> {
        await tick();
        return super.get(...a);
      }
      override async getMany(...a: Parameters<BufferedBackend['getMany']>): ReturnType<BufferedBackend['getMany']> {
        await tick();
        return super.getMany(...a);
      }
    }
    const disk = new MemoryKv();
    const forks: MemoryKv[] = [];
    disk.onWrite = () => forks.push(disk.fork());
    const store = await KvStore.open(new SlowReads(new KvBackend(disk.open()), 1), { indexImage: { minRecords: 1_000_000, keysPerChunk: 1 } });
    for (let i = 0; i < 6; i++) await store.put({ key: b(`k${i}`), value: b('v') });
    const image = store.writeIndexImage();
    for (let i = 0; i < 40; i++) {
      const put = { type: 'put' as const, request: { key: b(`k${i % 6}`), value: b(`t${i}`) } };
      await store.txn({ compare: [], success: [put, { type: 'range', request: { key: b(`k${(i + 1) % 6}`) } }], failure: [] });
    }
    expect(await image).toBe(true);
    await store.close();
    for (const f of forks) {
      const r = await reopenBothWays(f);
      expect(r.viaImage).toEqual(r.rebuilt);
    }
  });

  it('the writer queues no chunk while the store is busy (a txn being applied, a compaction pending)', async () => {
    const index = new TreeIndex();
    for (let i = 0; i < 5; i++) index.add(`k${i}`).put({ main: i + 2, sub: 0 });
    let busy = false;
    const writes: number[] = [];
    class Watched extends MemoryBackend {
      override async write(ops: readonly BackendOp[]): Promise<void> {
        writes.push(ops.length);
        expect(busy).toBe(false);
        return super.write(ops);
      }
    }
    const backend = new Watched();
    const source = { index: () => index, revision: () => 6, compacted: () => 0, busy: () => busy, epoch: () => 0 };
    const writer = new IndexImageWriter(backend, source, () => tick, undefined, { keysPerChunk: 1 });
    const done = writer.write();
    while (writes.length < 2) await tick();
    busy = true;
    for (let i = 0; i < 10; i++) await tick();
    const whileBusy = writes.length;
    busy = false;
    expect(await done).toBe(true);
    expect(whileBusy).toBe(2);
    expect(writes.length).toBe(5); // 5 chunks of one key; the header goes with the last
    expect((await loadIndexImage(backend, 0))?.index.size).toBe(5);
  });

  it('chunks round-trip keys and numbers exactly, and refuse another position or a cut', () => {
    const numbers = [0, 1, 127, 128, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER];
    const chunk = { keys: ['', 'a', '\u00ff\u0000k'], numbers };
    const bytes = encodeChunk(7, 3, chunk);
    const back = decodeChunk(7, 3, bytes);
    expect(back?.keys).toEqual(chunk.keys);
    expect([...(back?.numbers ?? [])]).toEqual(numbers);
    expect(decodeChunk(7, 4, bytes)).toBeUndefined();
    expect(decodeChunk(8, 3, bytes)).toBeUndefined();
    expect(decodeChunk(7, 3, bytes.subarray(0, bytes.length - 1))).toBeUndefined();
    expect(() => encodeChunk(7, 3, { keys: [], numbers: [-1] })).toThrow();
  });

  async function withImage(): Promise<{ disk: MemoryKv; store: KvStore; backend: Backend }> {
    const disk = new MemoryKv();
    const backend = open(disk);
    const store = await KvStore.open(backend, { indexImage: IMAGE });
    await run(store, [
      ...Array.from({ length: 12 }, (_, i): Step => ({ op: 'put', key: i % 8, lease: 0 })),
      { op: 'del', key: 3 },
    ]);
    expect(await store.writeIndexImage()).toBe(true);
    await store.put({ key: b('after'), value: b('image') });
    await backend.flush();
    return { disk, store, backend };
  }

  it('an image is used on open, and records after it are replayed', async () => {
    const { disk, store, backend } = await withImage();
    const expected = await state(store);
    expect(await loadIndexImage(backend, store.compactedRevision())).toBeDefined();
    disk.kill();
    const reopened = await KvStore.open(open(disk), { indexImage: IMAGE });
    expect(await state(reopened)).toEqual(expected);
  });

  it('a damaged chunk means no image: open rebuilds from the key bucket', async () => {
    const { disk, store, backend } = await withImage();
    const expected = await state(store);
    const header = await readImageHeader(backend);
    const key = chunkKey(header?.generation ?? 0, 1);
    const chunk = (await backend.get('meta', key)) as Uint8Array;
    const damaged = chunk.slice();
    damaged[damaged.length - 3] = (damaged[damaged.length - 3] as number) ^ 0x40;
    await backend.write([{ type: 'put', bucket: 'meta', key, value: damaged }], { sync: true });
    expect(await loadIndexImage(backend, store.compactedRevision())).toBeUndefined();
    await backend.write([{ type: 'del', bucket: 'meta', key: chunkKey(header?.generation ?? 0, 2) }], { sync: true });
    disk.kill();
    const reopened = await KvStore.open(open(disk), { indexImage: IMAGE });
    expect(await state(reopened)).toEqual(expected);
  });

  it('an image from before a compaction is compacted on load to what a rebuild gives', async () => {
    const { disk, store, backend } = await withImage();
    await store.compact(store.currentRevision() - 2);
    await store.compactionsIdle();
    await backend.flush();
    const expected = await state(store);
    const header = await readImageHeader(backend);
    expect(header?.compacted).toBeLessThan(store.compactedRevision());
    expect(await loadIndexImage(backend, store.compactedRevision())).toBeDefined();
    disk.kill();
    const reopened = await KvStore.open(open(disk), { indexImage: IMAGE });
    expect(await state(reopened)).toEqual(expected);
  });

  it('a restore (snapshot install) leaves no image behind, and no snapshot carries one', async () => {
    const { disk, store, backend } = await withImage();
    const other = await KvStore.open(new MemoryBackend(), { indexImage: false });
    await other.put({ key: b('elsewhere'), value: b('1') });
    await store.restore((await other.snapshot()).chunks(256));
    expect(await readImageHeader(backend)).toBeUndefined();
    const expected = await state(store);
    disk.kill();
    const reopened = await KvStore.open(open(disk), { indexImage: IMAGE });
    expect(await state(reopened)).toEqual(expected);
    expect(isLocalRecord('meta', new TextEncoder().encode('cairn.index-image'))).toBe(true);
    expect(isLocalRecord('meta', chunkKey(3, 4))).toBe(true);
    expect(isLocalRecord('meta', new TextEncoder().encode('cairn.index-imagex'))).toBe(false);
  });
});
