/**
 * Property: any sequence of puts, deletes, ranges, txns, compactions and restarts gives the same
 * responses, errors and revisions on KvStore as on the naive model (test/store/model), and at the
 * end every readable revision holds the same key space and the lessor saw the right attachments.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KvStore } from '../../src/store/kv-store.js';
import { MemoryBackend } from '../../src/storage/memory-backend.js';
import { openDataDir } from '../../src/storage/data-dir.js';
import type { Backend } from '../../src/storage/backend.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKvError } from '../../src/util/errors.js';
import { toHex } from '../../src/util/bytes.js';
import { KvModel } from './model/kv-model.js';
import { FakeLeases } from './model/lease-fake.js';
import { modelOp, type ModelOp } from './model/arbitraries.js';

type Outcome = { ok: unknown } | { error: string };

async function outcome(f: () => unknown): Promise<Outcome> {
  try {
    return { ok: await f() };
  } catch (err) {
    if (isKvError(err)) return { error: err.code };
    throw err;
  }
}

const ALL = { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };

/** Where the store keeps its data; `restart` closes it (as a process exit would) and opens it again. */
interface Disk {
  backend: Backend;
  restart(): Promise<Backend>;
  dispose(): Promise<void>;
}

function memoryDisk(): Disk {
  const backend = new MemoryBackend();
  return { backend, restart: async () => backend, dispose: async () => undefined };
}

async function levelDisk(): Promise<Disk> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-kv-model-'));
  let dd = await openDataDir(dir);
  return {
    backend: dd.backend,
    restart: async () => {
      await dd.close();
      dd = await openDataDir(dir);
      return dd.backend;
    },
    dispose: async () => {
      await dd.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function check(ops: ModelOp[], batchSize: number, disk: Disk = memoryDisk()): Promise<void> {
  try {
    await checkOn(ops, batchSize, disk);
  } finally {
    await disk.dispose();
  }
}

async function checkOn(ops: ModelOp[], batchSize: number, disk: Disk): Promise<void> {
  let backend = disk.backend;
  let leases = new FakeLeases();
  const options = { compactionBatchSize: batchSize, leases };
  let store = await KvStore.open(backend, options);
  const model = new KvModel((l) => leases.exists(l));
  let physical: Promise<void> = Promise.resolve();
  for (const op of ops) {
    let got: Outcome;
    let want: Outcome;
    switch (op.type) {
      case 'put':
        want = await outcome(() => model.put(op.req));
        got = await outcome(() => store.put(op.req));
        break;
      case 'deleteRange':
        want = await outcome(() => model.deleteRange(op.req));
        got = await outcome(() => store.deleteRange(op.req));
        break;
      case 'range':
        want = await outcome(() => model.range(op.req));
        got = await outcome(() => store.range(op.req));
        break;
      case 'historicalRange': {
        const req = { ...op.req, revision: Math.max(1, Math.round(op.fraction * model.current)) };
        want = await outcome(() => model.range(req));
        got = await outcome(() => store.range(req));
        break;
      }
      case 'txn':
        want = await outcome(() => model.txn(op.req));
        got = await outcome(() => store.txn(op.req));
        break;
      case 'compact': {
        const rev = Math.round(op.fraction * model.current);
        want = await outcome(() => model.compact(rev));
        got = await outcome(async () => void (physical = (await store.compact(rev)).physical));
        break;
      }
      case 'restart':
        await store.close();
        backend = await disk.restart();
        leases = new FakeLeases();
        store = await KvStore.open(backend, { ...options, leases });
        want = got = { ok: undefined };
        break;
      case 'settle':
        await physical;
        await store.compactionsIdle();
        expect(store.pendingCompactions()).toBe(0);
        want = got = { ok: undefined };
        break;
    }
    expect(got, JSON.stringify(op)).toEqual(want);
    const kind = `${op.type}:${'error' in got ? got.error : 'ok'}`;
    stats[kind] = (stats[kind] ?? 0) + 1;
    expect(store.currentRevision()).toBe(model.current);
    expect(store.compactedRevision()).toBe(model.compacted);
  }
  for (let rev = Math.max(model.compacted, 1); rev <= model.current; rev++) {
    expect(await store.range({ ...ALL, revision: rev }), `revision ${rev}`).toEqual(model.range({ ...ALL, revision: rev }));
  }
  const wantLeases = new Map([...model.stateAt(model.current).values()].filter((kv) => kv.lease !== 0).map((kv) => [toHex(kv.key), kv.lease]));
  expect(leases.attached).toEqual(wantLeases);
  await store.close();
}

/** Outcome counts, so a generator change that stops exercising a path fails loudly. */
const stats: Record<string, number> = {};
afterAll(() => {
  for (const kind of ['put:ok', 'deleteRange:ok', 'range:ok', 'txn:ok', 'compact:ok', 'txn:DuplicateKey', 'put:LeaseNotFound', 'historicalRange:ok', 'historicalRange:Compacted']) {
    expect(stats[kind] ?? 0, kind).toBeGreaterThan(0);
  }
});
describe('KvStore against the reference model', () => {
  it('agrees on random histories (compaction batches of 1000)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(modelOp, { minLength: 1, maxLength: 60 }), (ops) => check(ops, 1000)), { numRuns: 200 });
  });

  it('agrees on random histories over LevelDB, restarts closing and reopening the database', async () => {
    await fc.assert(fc.asyncProperty(fc.array(modelOp, { minLength: 1, maxLength: 40 }), async (ops) => check(ops, 2, await levelDisk())), { numRuns: 15 });
  });

  it('agrees on random histories with one-record compaction batches interleaved with writes', async () => {
    await fc.assert(fc.asyncProperty(fc.array(modelOp, { minLength: 1, maxLength: 60 }), (ops) => check(ops, 1)), { numRuns: 150 });
  });
});
