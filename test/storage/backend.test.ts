import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { BufferedBackend } from '../../src/storage/buffered-backend.js';
import { MemoryDataDir, openDataDir } from '../../src/storage/data-dir.js';
import { RESTORING_KEY, SELF_ID_KEY, bucketKey } from '../../src/storage/keys.js';
import { decodeChunks } from '../../src/storage/backend-chunks.js';
import { iterateBatches } from '../../src/storage/backend.js';
import { MemoryBackend } from '../../src/storage/memory-backend.js';
import { MemoryKv } from '../../src/storage/memory-kv.js';
import { SeededRng } from '../../src/util/rng.js';
import { utf8 } from '../../src/util/bytes.js';
import { backendConformance } from './backend-conformance.js';
import { collect, levelHarness, rawWrite, tempDir, type BackendFactory } from './harness.js';

const memory: BackendFactory = async () => {
  const backend = new MemoryBackend();
  return { backend, cleanup: () => backend.close() };
};
const level: BackendFactory = async () => {
  const dir = await tempDir();
  const dd = await openDataDir(dir);
  return {
    backend: dd.backend,
    cleanup: async () => {
      await dd.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};
const memoryKv: BackendFactory = async () => {
  const dd = await MemoryDataDir.open(new MemoryKv());
  return { backend: dd.backend, cleanup: () => dd.close() };
};

const levelUnbuffered: BackendFactory = async () => {
  const made = await level();
  return { backend: (made.backend as BufferedBackend).inner, cleanup: made.cleanup };
};

backendConformance('MemoryBackend', { make: memory, other: level });
backendConformance('LevelBackend (unbuffered)', { make: levelUnbuffered, other: memory });
backendConformance('LevelBackend (buffered, as data dirs hand it out)', { make: level, other: memory });
backendConformance('MemoryDataDir backend', { make: memoryKv, other: level });

describe('backend durability', () => {
  it('detects a corrupted value on read, naming the bucket and key', async () => {
    const h = await levelHarness();
    try {
      let dd = await h.open();
      await dd.backend.write([{ type: 'put', bucket: 'key', key: utf8('k1'), value: utf8('value-1') }]);
      await dd.close();
      const stored = bucketKey('key', utf8('k1'));
      const raw = Uint8Array.from((await h.raw((kv) => kv.get(stored))) ?? []);
      raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
      await rawWrite(h, [{ type: 'put', key: stored, value: raw }]);
      dd = await h.open();
      const expected = { code: 'StorageCorrupt', message: expect.stringContaining(`${h.label}: backend key record 6b31: crc mismatch`) };
      await expect(dd.backend.get('key', utf8('k1'))).rejects.toMatchObject(expected);
      await expect(collect(dd.backend.iterate('key'))).rejects.toMatchObject(expected);
      await expect(collect(iterateBatches(dd.backend, 'key'))).rejects.toMatchObject(expected);
      const snap = await dd.backend.snapshot();
      await expect(collect(snap.chunks())).rejects.toMatchObject(expected);
      await snap.release();
      await dd.close();
    } finally {
      await h.cleanup();
    }
  });

  it('refuses to open a data dir whose restore was interrupted', async () => {
    const h = await levelHarness();
    try {
      await (await h.open()).close();
      await rawWrite(h, [{ type: 'put', key: RESTORING_KEY, value: new Uint8Array([1]) }]);
      await expect(h.open()).rejects.toMatchObject({ code: 'StorageCorrupt', message: expect.stringContaining('restore from a snapshot was interrupted') });
    } finally {
      await h.cleanup();
    }
  });

  it('backend writes land only in synced batches: carried by the next WAL batch or flushed; a power loss takes only what was still buffered', async () => {
    const disk = new MemoryKv('carry', { logBatches: 1 }); // every batch in its own log: nothing syncs another
    let dd = await MemoryDataDir.open(disk);
    await dd.wal.load();
    const applied = (n: string) => [{ type: 'put' as const, bucket: 'meta' as const, key: utf8('applied'), value: utf8(n) }];
    await dd.backend.write(applied('1'));
    await dd.wal.save({ term: 1, vote: 1, commit: 0 }, [{ index: 1, term: 1, type: 'normal', data: new Uint8Array() }], { sync: true });
    expect(dd.backend.pendingOps).toBe(0); // carried by the WAL's batch
    await dd.backend.write(applied('2'));
    await dd.backend.flush();
    expect(disk.unsyncedBatches()).toBe(0);
    await dd.backend.write(applied('3')); // still buffered at the power loss
    disk.powerLoss('any', new SeededRng(1));
    await expect(dd.backend.flush()).rejects.toMatchObject({ code: 'Stopped' });
    dd = await MemoryDataDir.open(disk);
    expect((await dd.wal.load()).entries.length).toBe(1);
    expect(Buffer.from((await dd.backend.get('meta', utf8('applied'))) ?? []).toString()).toBe('2');
    await dd.close();
  });

  it('leaves this member\'s own identity record out of every snapshot stream (it is never replicated)', async () => {
    const dd = await MemoryDataDir.open(new MemoryKv());
    await dd.backend.write([
      { type: 'put', bucket: 'members', key: SELF_ID_KEY, value: new Uint8Array(8).fill(1) },
      { type: 'put', bucket: 'members', key: utf8('m1'), value: utf8('member record') },
    ]);
    const snap = await dd.backend.snapshot();
    const sent: string[] = [];
    for await (const records of decodeChunks(snap.chunks())) for (const [bucket, key] of records) sent.push(`${bucket}/${Buffer.from(key).toString()}`);
    await snap.release();
    expect(sent).toEqual(['members/m1']);
    await dd.close();
  });
});
