/**
 * The power-loss test disk (src/storage/file-disk.ts): a reopen sees exactly the synced batches
 * (and the unsynced ones before them), never an unsynced tail; a torn last record is dropped;
 * and a real SIGKILL of a process writing to it loses only what was not synced.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileDiskKv, readSyncedRecords } from '../../src/storage/file-disk.js';
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
  const kv = await FileDiskKv.open(dir);
  const out: Record<string, string> = {};
  for await (const [k, v] of kv.iterate({})) out[fromUtf8(k)] = fromUtf8(v);
  await kv.close();
  return out;
}

describe('FileDiskKv (power-loss disk for chaos runs)', () => {
  it('keeps synced batches and the unsynced ones before them; loses the unsynced tail', async () => {
    const dir = tempDir();
    const kv = await FileDiskKv.open(dir);
    await kv.batch([put('a', '1')], { sync: false });
    await kv.batch([put('b', '2'), { type: 'del', key: utf8('a') }], { sync: true });
    await kv.batch([put('c', '3')], { sync: false });
    expect(kv.unsyncedBatches()).toBe(1);
    expect(fromUtf8((await kv.get(utf8('c'))) as Uint8Array)).toBe('3');
    // No close: the process "dies" here.
    expect(await contents(dir)).toEqual({ b: '2' });
  });

  it('drops a torn last record and appends after the last whole one', async () => {
    const dir = tempDir();
    const kv = await FileDiskKv.open(dir);
    await kv.batch([put('a', '1')], { sync: true });
    await kv.close();
    const file = join(dir, 'synced.log');
    const whole = statSync(file).size;
    appendFileSync(file, Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 9, 9]));
    expect(readSyncedRecords(file).tornBytes).toBe(10);
    const again = await FileDiskKv.open(dir);
    expect(statSync(file).size).toBe(whole);
    await again.batch([put('b', '2')], { sync: true });
    await again.close();
    expect(await contents(dir)).toEqual({ a: '1', b: '2' });
  });

  it('a SIGKILLed writer process loses exactly its unsynced writes', () => {
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
    return contents(dir).then((c) => {
      expect(Object.keys(c).length).toBe(50);
      expect(c['late']).toBeUndefined();
    });
  }, 30_000);
});
