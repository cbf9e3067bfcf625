/**
 * Staging a received snapshot (src/storage/staged-store.ts): batches are larger and written one
 * behind the decoding, but every one is still synced (docs/architecture.md, storage invariant), a
 * failed write fails the fill, and the fill lets the event loop run while it works through a
 * stream that is already buffered.
 */
import { describe, expect, it } from 'vitest';
import { recordsToChunks, type BackendRecord } from '../../src/storage/backend-chunks.js';
import type { KvOp, OrderedKv } from '../../src/storage/kv.js';
import { putOp } from '../../src/storage/kv-backend.js';
import { MemoryKv } from '../../src/storage/memory-kv.js';
import { SealedSlab } from '../../src/storage/sealed-slab.js';
import { StagedStore } from '../../src/storage/staged-store.js';
import { utf8 } from '../../src/util/bytes.js';
import { SeededRng } from '../../src/util/rng.js';

async function* records(n: number, valueBytes: number): AsyncIterable<BackendRecord> {
  for (let i = 0; i < n; i++) yield ['key', utf8(`k/${String(i).padStart(6, '0')}`), new Uint8Array(valueBytes).fill(i % 256)];
}

/** A MemoryKv whose batches are recorded (and the `failAt`-th one fails, 1-based). */
function recordingKv(failAt?: number): { kv: OrderedKv; calls: Array<{ ops: number; sync: boolean }> } {
  const inner = new MemoryKv('staged').open();
  const calls: Array<{ ops: number; sync: boolean }> = [];
  const kv = Object.create(inner) as OrderedKv;
  kv.batch = async (ops: readonly KvOp[], options: { readonly sync: boolean }) => {
    calls.push({ ops: ops.length, sync: options.sync });
    if (calls.length === failAt) throw new Error('disk full');
    await inner.batch(ops, options);
  };
  return { kv, calls };
}

describe('StagedStore.fill', () => {
  it('syncs every batch it writes and writes every record', async () => {
    const { kv, calls } = recordingKv();
    const staged = new StagedStore('db-1', kv, async () => undefined);
    await staged.fill(recordsToChunks(records(700, 16 * 1024)), 1 << 30);
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.every((c) => c.sync)).toBe(true);
    expect(calls.reduce((n, c) => n + c.ops, 0)).toBe(700);
    let seen = 0;
    for await (const _ of staged.backend().iterate('key')) seen++;
    expect(seen).toBe(700);
  });

  it('fails when a batch written behind the decoding fails', async () => {
    const { kv } = recordingKv(1);
    const staged = new StagedStore('db-1', kv, async () => undefined);
    await expect(staged.fill(recordsToChunks(records(900, 16 * 1024)), 1 << 30)).rejects.toThrow('disk full');
  });

  it('lets the event loop run while it stages a stream that is already buffered', async () => {
    const staged = new StagedStore('db-1', new MemoryKv('staged').open(), async () => undefined);
    const chunks: Uint8Array[] = [];
    for await (const c of recordsToChunks(records(20_000, 16), 64 * 1024)) chunks.push(c);
    let turns = 0;
    const tick = setInterval(() => turns++, 0);
    try {
      await staged.fill((async function* () {
        yield* chunks;
      })(), 1 << 30);
    } finally {
      clearInterval(tick);
    }
    expect(turns).toBeGreaterThan(3);
  });
});

describe('SealedSlab', () => {
  it('builds the same puts as putOp, and earlier ones stay intact as later ones are added', () => {
    const rng = new SeededRng(7);
    const slab = new SealedSlab();
    const pairs: Array<[KvOp, KvOp]> = [];
    for (let i = 0; i < 3000; i++) {
      const key = new Uint8Array(rng.int(41)).map(() => rng.int(256));
      const value = new Uint8Array(i % 500 === 0 ? 300_000 : rng.int(601)).map(() => rng.int(256));
      pairs.push([slab.put('lease', key, value), putOp('lease', key, value)]);
    }
    for (const [got, expected] of pairs) {
      if (got.type !== 'put' || expected.type !== 'put') throw new Error('not a put');
      expect(Buffer.from(got.key).equals(Buffer.from(expected.key))).toBe(true);
      expect(Buffer.from(got.value).equals(Buffer.from(expected.value))).toBe(true);
    }
  });
});
