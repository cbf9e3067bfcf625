/**
 * LevelKv.sizeBytes while LevelDB deletes obsolete files: a file listed but gone before it is
 * measured counts as 0 bytes instead of failing the call (the member refreshes its size metric
 * every second, and a rejected refresh used to be an unhandled rejection).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const vanished = new Set<string>();
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    stat: async (path: string) => {
      if ([...vanished].some((name) => path.endsWith(name))) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return real.stat(path);
    },
  };
});

const { LevelKv } = await import('../../src/storage/level-kv.js');

describe('LevelKv.sizeBytes', () => {
  let dir = '';
  afterEach(async () => {
    vanished.clear();
    await rm(dir, { recursive: true, force: true });
  });

  it('skips a file that disappears between listing and measuring', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-size-'));
    const kv = await LevelKv.open(join(dir, 'db'), dir);
    await kv.batch([{ type: 'put', key: new Uint8Array([1]), value: new Uint8Array(1000) }], { sync: true });
    const full = await kv.sizeBytes();
    expect(full).toBeGreaterThan(1000);
    vanished.add('CURRENT');
    const less = await kv.sizeBytes();
    expect(less).toBeLessThan(full);
    expect(less).toBeGreaterThan(0);
    await kv.close();
  });
});
