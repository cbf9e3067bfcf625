import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { MemoryDataDir, openDataDir } from '../../src/storage/data-dir.js';
import { RESTORING_KEY } from '../../src/storage/keys.js';
import { MemoryBackend } from '../../src/storage/memory-backend.js';
import { MemoryKv } from '../../src/storage/memory-kv.js';
import { SeededRng } from '../../src/util/rng.js';
import { utf8 } from '../../src/util/bytes.js';
import { backendConformance } from './backend-conformance.js';
import { levelHarness, rawWrite, tempDir, type BackendFactory } from './harness.js';

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

backendConformance('MemoryBackend', { make: memory, other: level });
backendConformance('LevelBackend', { make: level, other: memory });
backendConformance('MemoryDataDir backend', { make: memoryKv, other: level });

describe('backend durability', () => {
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

  it('a power loss rolls back unsynced backend writes together with the WAL; a synced WAL batch covers earlier ones', async () => {
    const disk = new MemoryKv();
    let dd = await MemoryDataDir.open(disk);
    await dd.wal.load();
    await dd.backend.write([{ type: 'put', bucket: 'meta', key: utf8('applied'), value: utf8('1') }]);
    await dd.wal.save({ term: 1, vote: 1, commit: 0 }, [{ index: 1, term: 1, type: 'normal', data: new Uint8Array() }], { sync: true });
    await dd.backend.write([{ type: 'put', bucket: 'meta', key: utf8('applied'), value: utf8('2') }]);
    expect(disk.unsyncedBatches()).toBe(1);
    disk.powerLoss('drop', new SeededRng(1));
    await expect(dd.backend.get('meta', utf8('applied'))).rejects.toMatchObject({ code: 'Stopped' });
    dd = await MemoryDataDir.open(disk);
    expect((await dd.wal.load()).entries.length).toBe(1);
    expect(Buffer.from((await dd.backend.get('meta', utf8('applied'))) ?? []).toString()).toBe('1');
    await dd.close();
  });
});
