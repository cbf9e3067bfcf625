/**
 * Restart, snapshot and restore, history replay for watches, commit listeners, the one-batch
 * write contract, and what happens when a write fails. The restart tests run over MemoryBackend
 * and over the member's real LevelDB backend.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvStore } from '../../src/store/kv-store.js';
import { MemoryBackend } from '../../src/storage/memory-backend.js';
import { openDataDir, type LevelDataDir } from '../../src/storage/data-dir.js';
import type { Backend, BackendOp, WriteOptions } from '../../src/storage/backend.js';
import { AssertionError } from '../../src/util/assert.js';
import { FakeLeases } from './model/lease-fake.js';
import { encodeRevKey } from '../../src/store/revision.js';
import { encodeRecord } from '../../src/store/records.js';
import { b, kv, openStore, ZERO } from './model/helpers.js';

const ALL = { key: ZERO, rangeEnd: ZERO };

/** Writes a varied history: creations, overwrites, leases, deletes, a txn, a compaction. */
async function writeHistory(store: KvStore): Promise<void> {
  for (let i = 0; i < 30; i++) await store.put({ key: b(`key/${i % 7}`), value: b(`value ${i}`), lease: i % 5 === 0 ? 1 : 0 });
  await store.deleteRange({ key: b('key/3') });
  await store.txn({
    compare: [{ key: b('key/1'), target: 'VERSION', result: 'GREATER', version: 1 }],
    success: [{ type: 'put', request: { key: b('txn'), value: b('t') } }, { type: 'deleteRange', request: { key: b('key/5'), rangeEnd: b('key/7') } }],
  });
  await (await store.compact(20)).physical;
  await store.put({ key: b('key/3'), value: b('back') });
}

async function everyRevision(store: KvStore): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let rev = store.compactedRevision(); rev <= store.currentRevision(); rev++) out.push(await store.range({ ...ALL, revision: rev }));
  return out;
}

async function sameState(a: KvStore, c: KvStore): Promise<void> {
  expect(c.currentRevision()).toBe(a.currentRevision());
  expect(c.compactedRevision()).toBe(a.compactedRevision());
  expect(await everyRevision(c)).toEqual(await everyRevision(a));
  expect(await c.hash()).toEqual(await a.hash());
  expect([...c.leasedKeys()]).toEqual([...a.leasedKeys()]);
}

const dirs: string[] = [];
const dataDirs: LevelDataDir[] = [];
afterEach(async () => {
  for (const d of dataDirs.splice(0)) await d.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function levelBackend(dir?: string): Promise<{ backend: Backend; dir: string; close: () => Promise<void> }> {
  const where = dir ?? (await mkdtemp(join(tmpdir(), 'cairn-kv-')));
  if (dir === undefined) dirs.push(where);
  const dd = await openDataDir(where);
  dataDirs.push(dd);
  return {
    backend: dd.backend,
    dir: where,
    close: async () => {
      dataDirs.splice(dataDirs.indexOf(dd), 1);
      await dd.close();
    },
  };
}

describe('restart', () => {
  it('over MemoryBackend: the reopened store holds the same state at every readable revision', async () => {
    const { store, backend } = await openStore({ leases: new FakeLeases() });
    await writeHistory(store);
    const leases = new FakeLeases();
    const reopened = await KvStore.open(backend, { leases });
    await sameState(store, reopened);
    expect([...leases.attached.values()].length).toBeGreaterThan(0); // leases re-attached on open
  });

  it('over LevelBackend: state, hash and further writes continue after closing the LevelDB', async () => {
    const first = await levelBackend();
    const store = await KvStore.open(first.backend, { leases: new FakeLeases() });
    await writeHistory(store);
    const twin = await openStore({ leases: new FakeLeases() });
    await writeHistory(twin.store);
    await sameState(twin.store, store);
    await store.close();
    await first.close();

    const second = await levelBackend(first.dir);
    const reopened = await KvStore.open(second.backend, { leases: new FakeLeases() });
    await sameState(twin.store, reopened);
    expect(await reopened.put({ key: b('after'), value: b('restart') })).toEqual({ revision: twin.store.currentRevision() + 1 });
  });

  it('over LevelBackend: a compaction cut short by closing resumes on open', async () => {
    const first = await levelBackend();
    let release = (): void => undefined;
    const store = await KvStore.open(first.backend, { compactionBatchSize: 2, yieldBetweenBatches: () => new Promise((r) => (release = r)) });
    for (let i = 0; i < 20; i++) await store.put({ key: b(`k${i % 3}`), value: b(`${i}`) });
    await store.compact(20);
    const closing = store.close();
    release();
    await closing;
    await first.close();
    const second = await levelBackend(first.dir);
    const reopened = await KvStore.open(second.backend);
    expect(reopened.pendingCompactions()).toBe(1);
    await reopened.compactionsIdle();
    let records = 0;
    for await (const _ of second.backend.iterate('key')) records++;
    // Newest at or below 20 per key (k0@20, k1@18, k2@19) and k1@21 after it.
    expect(records).toBe(4);
    expect((await reopened.range(ALL)).kvs.map((x) => x.modRevision)).toEqual([20, 21, 19]);
  });
});

describe('corruption is caught on open', () => {
  it.each<[string, (backend: MemoryBackend) => Promise<void>]>([
    ['a record that does not decode', (be) => be.write([{ type: 'put', bucket: 'key', key: encodeRevKey({ main: 3, sub: 0 }), value: new Uint8Array([0xc1]) }])],
    ['a record whose version disagrees with the history', (be) => be.write([{ type: 'put', bucket: 'key', key: encodeRevKey({ main: 3, sub: 0 }), value: encodeRecord(kv('k', 2, 3, 5, 'x')) }])],
    ['a malformed revision key', (be) => be.write([{ type: 'put', bucket: 'key', key: b('not-a-revision'), value: encodeRecord(kv('k', 2, 3, 2, 'x')) }])],
  ])('%s', async (_name, damage) => {
    const { store, backend } = await openStore();
    await store.put({ key: b('k'), value: b('1') });
    await damage(backend);
    await expect(KvStore.open(backend)).rejects.toMatchObject({ code: 'StorageCorrupt' });
  });
});

describe('snapshot and restore', () => {
  it('restores the whole state into another store, and into a LevelDB one', async () => {
    const { store } = await openStore({ leases: new FakeLeases() });
    await writeHistory(store);
    const snap = await store.snapshot();
    const other = await openStore();
    await other.store.put({ key: b('stale'), value: b('gone after restore') });
    const order: string[] = [];
    await other.store.restore(snap.chunks(256), async () => void order.push('lessor reload'));
    await sameState(store, other.store);
    expect(order).toEqual(['lessor reload']);
    const level = await levelBackend();
    const onDisk = await KvStore.open(level.backend);
    await onDisk.restore((await store.snapshot()).chunks());
    await sameState(store, onDisk);
    await snap.release();
  });
});

describe('watch source', () => {
  it('readEvents replays history in order, never splitting a revision, and refuses compacted ranges', async () => {
    const { store } = await openStore();
    await store.put({ key: b('a'), value: b('1') }); // 2
    await store.txn({ success: [{ type: 'put', request: { key: b('b'), value: b('1') } }, { type: 'put', request: { key: b('c'), value: b('1') } }] }); // 3
    await store.deleteRange({ key: b('a'), rangeEnd: b('c') }); // 4
    const events = await store.readEvents(2, 100, 2);
    expect(events.map((e) => `${e.type} ${Buffer.from(e.kv.key)}@${e.kv.modRevision}`)).toEqual(['PUT a@2', 'PUT b@3', 'PUT c@3']);
    expect(await store.readEvents(4, 4, 1)).toEqual([
      { type: 'DELETE', kv: kv('a', 0, 4, 0, '') },
      { type: 'DELETE', kv: kv('b', 0, 4, 0, '') },
    ]);
    expect(await store.readEvents(5, 9, 10)).toEqual([]);
    await (await store.compact(3)).physical;
    await expect(store.readEvents(2, 4, 10)).rejects.toMatchObject({ code: 'Compacted' });
    expect((await store.readEvents(3, 4, 10)).length).toBe(4);
  });

  it('getAt gives the value as of a revision, or nothing', async () => {
    const { store } = await openStore();
    await store.put({ key: b('k'), value: b('1') });
    await store.put({ key: b('k'), value: b('2') });
    await store.deleteRange({ key: b('k') });
    expect(await store.getAt(b('k'), 2)).toEqual(kv('k', 2, 2, 1, '1'));
    expect(await store.getAt(b('k'), 3)).toEqual(kv('k', 2, 3, 2, '2'));
    expect(await store.getAt(b('k'), 4)).toBeUndefined();
    expect(await store.getAt(b('k'), 1)).toBeUndefined();
    expect(await store.getAt(b('k'), 99)).toBeUndefined();
    await (await store.compact(3)).physical;
    expect(await store.getAt(b('k'), 2)).toBeUndefined();
  });
});

class RecordingBackend extends MemoryBackend {
  readonly batches: BackendOp[][] = [];
  failNext = false;
  override async write(ops: readonly BackendOp[], _options?: WriteOptions): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    this.batches.push([...ops]);
    return super.write(ops);
  }
}

describe('write contract', () => {
  const applied = (n: number): BackendOp => ({ type: 'put', bucket: 'meta', key: b('applied'), value: new Uint8Array([n]) });

  it('each call writes one batch holding its changes and the extra ops; listeners run after it', async () => {
    const backend = new RecordingBackend();
    const store = await KvStore.open(backend);
    const seen: Array<[number, number, number]> = [];
    const off = store.onCommit((rev, events) => seen.push([rev, events.length, backend.batches.length]));
    await store.put({ key: b('a'), value: b('1') }, [applied(1)]);
    await store.txn({ success: [{ type: 'put', request: { key: b('b'), value: b('1') } }, { type: 'deleteRange', request: { key: b('a') } }] }, [applied(2)]);
    await store.txn({ success: [{ type: 'range', request: { key: b('a') } }] }, [applied(3)]); // read-only, but the applied index moves
    await store.deleteRange({ key: b('nothing') }, [applied(4)]);
    off();
    await store.put({ key: b('c'), value: b('1') });
    expect(backend.batches.map((ops) => ops.map((o) => `${o.bucket}`).join(','))).toEqual(['key,meta', 'key,key,meta', 'meta', 'meta', 'key']);
    expect(seen).toEqual([[2, 1, 1], [3, 2, 2]]);
  });

  it('a request that fails validation writes nothing, not even the extra ops', async () => {
    const backend = new RecordingBackend();
    const store = await KvStore.open(backend);
    await expect(store.put({ key: b('') }, [applied(1)])).rejects.toMatchObject({ code: 'EmptyKey' });
    await expect(store.put({ key: b('k'), lease: 5 }, [applied(1)])).rejects.toMatchObject({ code: 'LeaseNotFound' });
    await expect(store.compact(9, [applied(1)])).rejects.toMatchObject({ code: 'FutureRev' });
    expect(backend.batches).toEqual([]);
  });

  it('a failed backend write leaves no trace: same revision, same index, the next write reuses the revision', async () => {
    const backend = new RecordingBackend();
    const leases = new FakeLeases();
    const store = await KvStore.open(backend, { leases });
    await store.put({ key: b('a'), value: b('1'), lease: 1 });
    await store.put({ key: b('b'), value: b('1') });
    backend.failNext = true;
    await expect(
      store.txn({ success: [{ type: 'put', request: { key: b('a'), value: b('2') } }, { type: 'deleteRange', request: { key: b('b') } }, { type: 'put', request: { key: b('new'), value: b('x') } }] }),
    ).rejects.toThrow('disk full');
    expect(store.currentRevision()).toBe(3);
    expect((await store.range(ALL)).kvs).toEqual([kv('a', 2, 2, 1, '1', 1), kv('b', 3, 3, 1, '1')]);
    expect(store.indexedKeys()).toBe(2);
    expect([...store.leasedKeys()]).toEqual([[1, b('a')]]);
    expect(leases.log).toEqual(['attach 1 61']);
    expect(await store.put({ key: b('a'), value: b('3') })).toEqual({ revision: 4 });
    expect((await store.range({ key: b('a') })).kvs).toEqual([kv('a', 2, 4, 2, '3')]);
  });

  it('two writes at once are a bug in the caller: the second fails an assertion', async () => {
    const { store } = await openStore();
    const first = store.put({ key: b('a'), value: b('1') });
    await expect(store.put({ key: b('b'), value: b('1') })).rejects.toBeInstanceOf(AssertionError);
    await first;
    expect(store.currentRevision()).toBe(2);
  });

  it('a closed store refuses calls', async () => {
    const { store } = await openStore();
    await store.close();
    await expect(store.range({ key: b('a') })).rejects.toMatchObject({ code: 'Stopped' });
    await expect(store.put({ key: b('a') })).rejects.toMatchObject({ code: 'Stopped' });
  });
});
