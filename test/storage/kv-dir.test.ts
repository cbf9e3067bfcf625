/**
 * The stores of a data dir on disk (kv-dir.ts) and the staged install over LevelDB: the pointer
 * is replaced atomically, an open removes stale stores only once it holds the active one, and an
 * install moves the WAL and the backend onto the staged store.
 */
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordsToChunks, type BackendRecord } from '../../src/storage/backend-chunks.js';
import { activeLocation, openDataDir } from '../../src/storage/data-dir.js';
import { FsKvDir, POINTER_FILE, nextStoreName } from '../../src/storage/kv-dir.js';
import { LevelKv } from '../../src/storage/level-kv.js';
import { utf8 } from '../../src/util/bytes.js';
import { collect, tempDir } from './harness.js';

const CONF = { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function* records(n: number): AsyncIterable<BackendRecord> {
  for (let i = 0; i < n; i++) yield ['key', utf8(`new${i}`), utf8(`v${i}`)];
}

describe('FsKvDir', () => {
  it('names the first store by default, replaces the pointer atomically, and refuses a pointer to anything else', async () => {
    dir = await tempDir('cairn-kvdir-');
    const stores = new FsKvDir(dir, { openStore: (location, label) => LevelKv.open(location, label) });
    expect(await stores.active()).toBe('db');
    await stores.setActive('db-3');
    expect(await stores.active()).toBe('db-3');
    expect(await readFile(join(dir, POINTER_FILE), 'utf8')).toBe('db-3\n');
    expect(await readdir(dir)).toEqual([POINTER_FILE]); // no temporary file left
    await writeFile(join(dir, POINTER_FILE), '../elsewhere\n');
    await expect(stores.active()).rejects.toMatchObject({ code: 'StorageCorrupt', message: expect.stringContaining('../elsewhere') });
    expect(nextStoreName(['db', 'db-3', 'db-12'])).toBe('db-13');
  });
});

describe('LevelDB data dir with staged stores', () => {
  it('removes stale stores on open, but not while another process holds the data dir', async () => {
    dir = await tempDir('cairn-kvdir-');
    const first = await openDataDir(dir);
    await first.wal.load();
    const staged = await first.stage();
    expect(staged.name).toBe('db-1');
    // A second process is refused before it touches anything.
    await expect(openDataDir(dir)).rejects.toMatchObject({ code: 'StorageLocked' });
    expect((await readdir(dir)).sort()).toEqual(['db', 'db-1']);
    await first.close(); // removes the staging nobody installed
    expect(await readdir(dir)).toEqual(['db']);
    // A store a crash abandoned is removed by the next open.
    const abandoned = await LevelKv.open(join(dir, 'db-4'), dir);
    await abandoned.close();
    const again = await openDataDir(dir);
    // Removed only after the pointer to the store kept was made durable.
    expect((await readdir(dir)).sort()).toEqual([POINTER_FILE, 'db']);
    expect(await readFile(join(dir, POINTER_FILE), 'utf8')).toBe('db\n');
    await again.close();
    // A pointer naming a store that is gone is refused, not answered with a new empty store.
    await writeFile(join(dir, POINTER_FILE), 'db-9\n');
    await expect(openDataDir(dir)).rejects.toMatchObject({ code: 'StorageCorrupt', message: expect.stringContaining('names the store db-9, which is missing') });
    expect((await readdir(dir)).sort()).toEqual([POINTER_FILE, 'db']);
  });

  it('installs a staged store: the WAL stands at the snapshot, the backend holds only its data, the old store is gone', async () => {
    dir = await tempDir('cairn-kvdir-');
    const dd = await openDataDir(dir);
    await dd.wal.load();
    await dd.wal.save({ term: 1, vote: 1, commit: 1 }, [{ index: 1, term: 1, type: 'normal', data: new Uint8Array() }], { sync: true });
    await dd.backend.write([{ type: 'put', bucket: 'key', key: utf8('old'), value: utf8('x') }], { sync: true });
    const staged = await dd.stage();
    await staged.fill(recordsToChunks(records(3000), 16 * 1024), 1 << 30);
    const meta = { index: 500, term: 3, confState: CONF };
    await dd.installStaged(staged, meta, [{ type: 'put', bucket: 'meta', key: utf8('mine'), value: utf8('local') }]);
    // The running objects followed the switch.
    expect((await collect(dd.backend.iterate('key'))).length).toBe(3000);
    expect(await dd.backend.get('key', utf8('old'))).toBeUndefined();
    await dd.wal.save({ term: 3, vote: 0, commit: 501 }, [{ index: 501, term: 3, type: 'normal', data: new Uint8Array() }], { sync: true });
    await dd.close();
    expect(await readdir(dir)).toEqual([POINTER_FILE, 'db-1'].sort());
    expect(await activeLocation(dir)).toBe(join(dir, 'db-1'));

    const reopened = await openDataDir(dir);
    const wal = await reopened.wal.load();
    expect(wal.snapshot).toEqual(meta);
    expect(wal.hardState).toEqual({ term: 3, vote: 0, commit: 501 });
    expect(wal.entries.map((e) => e.index)).toEqual([501]);
    expect(Buffer.from((await reopened.backend.get('meta', utf8('mine'))) ?? []).toString()).toBe('local');
    expect((await collect(reopened.backend.iterate('key'))).length).toBe(3000);
    await reopened.close();
  });
});
