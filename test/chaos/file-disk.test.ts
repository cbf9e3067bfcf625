/**
 * The power-loss test disk (src/storage/file-disk.ts): a process crash keeps every write; a
 * power cut keeps the synced batches (and the unsynced ones before them) and loses all of the
 * unsynced tail or all but a prefix of it; a torn last record is dropped; and a real SIGKILLed
 * writer process followed by a power cut loses only what was not synced.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileDiskKv, powerCut, readRecords } from '../../src/storage/file-disk.js';
import { textContents } from '../storage/harness.js';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'cairn-filedisk-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const put = (k: string, v: string) => ({ type: 'put' as const, key: utf8(k), value: utf8(v) });

async function contents(dir: string): Promise<Record<string, string>> {
  return textContents(await FileDiskKv.open(dir));
}

describe('FileDiskKv (power-loss disk for chaos runs)', () => {
  it('a crash keeps every write; a power cut keeps the synced batches and loses the unsynced tail', async () => {
    const dir = tempDir();
    const kv = await FileDiskKv.open(dir);
    await kv.batch([put('a', '1')], { sync: false });
    await kv.batch([put('b', '2'), { type: 'del', key: utf8('a') }], { sync: true });
    await kv.batch([put('c', '3')], { sync: false });
    expect(kv.unsyncedBatches()).toBe(1);
    expect(fromUtf8((await kv.get(utf8('c'))) as Uint8Array)).toBe('3');
    // No close: the process "dies" here, and the page cache keeps what it wrote.
    expect(await contents(dir)).toEqual({ b: '2', c: '3' });
    expect(powerCut(dir, 0)).toBeGreaterThan(0);
    expect(await contents(dir)).toEqual({ b: '2' });
  });

  it('a partial power cut keeps a prefix of the unsynced batches, tearing the one it cuts through', async () => {
    for (const keep of [0.1, 0.35, 0.5, 0.8, 0.97]) {
      const dir = tempDir();
      const kv = await FileDiskKv.open(dir);
      await kv.batch([put('s', 'synced')], { sync: true });
      for (let i = 0; i < 10; i++) await kv.batch([put(`u${i}`, 'x'.repeat(50))], { sync: false });
      powerCut(dir, keep);
      const c = await contents(dir);
      expect(c['s']).toBe('synced');
      const kept = Object.keys(c).filter((k) => k.startsWith('u')).length;
      // Exactly u0..u(kept-1): a prefix, never a later batch without an earlier one.
      expect(Object.keys(c).sort()).toEqual(['s', ...Array.from({ length: kept }, (_, i) => `u${i}`)].sort());
      expect(kept).toBeLessThan(10);
      if (keep >= 0.35) expect(kept).toBeGreaterThan(0);
    }
  });

  it('drops a torn last record and appends after the last whole one', async () => {
    const dir = tempDir();
    const kv = await FileDiskKv.open(dir);
    await kv.batch([put('a', '1')], { sync: true });
    await kv.close();
    const file = join(dir, 'synced.log');
    const whole = statSync(file).size;
    appendFileSync(file, Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 9, 9]));
    expect(readRecords(file).tornBytes).toBe(10);
    const again = await FileDiskKv.open(dir);
    expect(statSync(file).size).toBe(whole);
    await again.batch([put('b', '2')], { sync: true });
    await again.close();
    expect(await contents(dir)).toEqual({ a: '1', b: '2' });
  });

  it('a SIGKILLed writer process, then a power cut, loses exactly its unsynced writes', () => {
    const dir = tempDir();
    const script = `
      import { FileDiskKv } from ${JSON.stringify(resolve(import.meta.dirname, '../../src/storage/file-disk.ts'))};
      const kv = await FileDiskKv.open(${JSON.stringify(dir)});
      const enc = (s) => new TextEncoder().encode(s);
      for (let i = 0; i < 50; i++) await kv.batch([{ type: 'put', key: enc('s' + i), value: enc('v') }], { sync: i % 10 === 9 });
      await kv.batch([{ type: 'put', key: enc('late'), value: enc('v') }], { sync: false });
      process.kill(process.pid, 'SIGKILL');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: resolve(import.meta.dirname, '../..'), encoding: 'utf8' });
    expect(r.signal).toBe('SIGKILL');
    return contents(dir).then(async (crashed) => {
      expect(Object.keys(crashed).length).toBe(51);
      expect(crashed['late']).toBe('v');
      powerCut(dir, 0);
      const c = await contents(dir);
      expect(Object.keys(c).length).toBe(50);
      expect(c['late']).toBeUndefined();
    });
  }, 30_000);
});
