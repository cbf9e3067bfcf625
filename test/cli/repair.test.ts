import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repair } from '../../src/cli/repair.js';
import { FlagError } from '../../src/cli/flags.js';
import { levelLocation, openDataDir } from '../../src/storage/data-dir.js';
import { entryKey } from '../../src/storage/keys.js';
import { LevelKv } from '../../src/storage/level-kv.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function walWithEntries(last: number, commit: number): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'cairn-repair-')), 'member');
  dirs.push(dir);
  const dd = await openDataDir(dir);
  await dd.wal.load();
  const entries = Array.from({ length: last }, (_, i) => ({ index: i + 1, term: 1, type: 'normal' as const, data: new Uint8Array([i]) }));
  await dd.wal.save({ term: 1, vote: 0, commit }, entries, { sync: true });
  await dd.close();
  return dir;
}

async function corruptEntry(dir: string, index: number): Promise<void> {
  const kv = await LevelKv.open(levelLocation(dir), dir);
  try {
    const value = (await kv.get(entryKey(index))) as Uint8Array;
    const bad = value.slice();
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0x55;
    await kv.batch([{ type: 'put', key: entryKey(index), value: bad }], { sync: true });
  } finally {
    await kv.close();
  }
}

describe('cairn repair', () => {
  it('drops a torn tail above commit, then finds the WAL intact', async () => {
    const dir = await walWithEntries(8, 5);
    await corruptEntry(dir, 7);
    const broken = await openDataDir(dir);
    await expect(broken.wal.load()).rejects.toThrow(/wal entry 7/);
    await broken.close();
    expect(await repair(['--data-dir', dir], {})).toBe(`${dir}: dropped 2 unacknowledged entries from the torn tail; the WAL now ends at index 6`);
    expect(await repair(['--data-dir', dir], {})).toBe(`${dir}: the WAL is intact through index 6; nothing dropped`);
    const dd = await openDataDir(dir);
    expect((await dd.wal.load()).entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6]);
    await dd.close();
  });

  it('refuses corruption at or below commit, and needs --data-dir (also from CAIRN_DATA_DIR)', async () => {
    const dir = await walWithEntries(8, 5);
    await corruptEntry(dir, 3);
    await expect(repair(['--data-dir', dir], {})).rejects.toThrow(/wal entry 3.*not repairable|not repairable.*wal entry 3/s);
    await expect(repair([], {})).rejects.toBeInstanceOf(FlagError);
    await expect(repair([], { CAIRN_DATA_DIR: dir })).rejects.toThrow(/not repairable/);
  });
});
