/**
 * The LevelDB-like disk twin (memory-kv.ts): batches are atomic; a synced batch is durable; an
 * unsynced batch can be lost on its own, even when a later batch survives; and a synced write
 * settles only the batches in its own log file, not those in a rotated one.
 */
import { describe, expect, it } from 'vitest';
import type { KvOp } from '../../src/storage/kv.js';
import { MemoryKv } from '../../src/storage/memory-kv.js';
import { utf8 } from '../../src/util/bytes.js';
import { SeededRng } from '../../src/util/rng.js';
import { textContents } from './harness.js';

const put = (k: string, v: string): KvOp => ({ type: 'put', key: utf8(k), value: utf8(v) });

const contents = (disk: MemoryKv) => textContents(disk.open());

describe('MemoryKv, the LevelDB-like disk', () => {
  it('one log: a synced write settles every earlier batch (the simulators\' classic model)', async () => {
    const disk = new MemoryKv();
    const kv = disk.open();
    await kv.batch([put('a', '1')], { sync: false });
    await kv.batch([put('b', '1')], { sync: true });
    expect(disk.unsyncedBatches()).toBe(0);
    disk.powerLoss('drop', new SeededRng(1));
    expect(await contents(disk)).toEqual({ a: '1', b: '1' });
  });

  it('a synced write does not settle an unsynced batch in a rotated log', async () => {
    const disk = new MemoryKv();
    const kv = disk.open();
    await kv.batch([put('a', '1')], { sync: false });
    disk.rotateLog();
    await kv.batch([put('b', '1')], { sync: true });
    expect(disk.unsyncedBatches()).toBe(1);
    disk.powerLoss('drop', new SeededRng(1));
    expect(await contents(disk)).toEqual({ b: '1' });
  });

  it('the next rotation finds the rotated log flushed to a table: its batches are durable then', async () => {
    const disk = new MemoryKv('rot', { logBatches: 2 });
    const kv = disk.open();
    await kv.batch([put('a', '1')], { sync: false });
    await kv.batch([put('b', '1')], { sync: false });
    await kv.batch([put('c', '1')], { sync: true }); // second log: a and b still at risk
    expect(disk.unsyncedBatches()).toBe(2);
    await kv.batch([put('d', '1')], { sync: false });
    await kv.batch([put('e', '1')], { sync: false }); // third log: the first one's memtable is flushed
    expect(disk.unsyncedBatches()).toBe(2);
    disk.powerLoss('drop', new SeededRng(1));
    expect(await contents(disk)).toEqual({ a: '1', b: '1', c: '1' });
  });

  it("loses any unsynced batch on its own, keeping later ones, and never part of a batch ('any', powerLossKeeping)", async () => {
    const disk = new MemoryKv('any');
    const kv = disk.open();
    await kv.batch([put('a', '1'), put('x', '1')], { sync: false });
    await kv.batch([put('b', '1')], { sync: false });
    await kv.batch([put('c', '1'), put('x', '3')], { sync: false });
    const copy = disk.fork();
    expect(disk.powerLossKeeping((i) => i !== 1)).toBe(2);
    expect(await contents(disk)).toEqual({ a: '1', c: '1', x: '3' });
    expect(copy.powerLossKeeping((i) => i === 1)).toBe(1);
    expect(await contents(copy)).toEqual({ b: '1' });
    const shapes = new Set<string>();
    for (let seed = 1; seed <= 64; seed++) {
      const d = new MemoryKv('any');
      const h = d.open();
      for (const k of ['a', 'b', 'c']) await h.batch([put(k, '1')], { sync: false });
      d.powerLoss('any', new SeededRng(seed));
      shapes.add(Object.keys(await contents(d)).join(''));
    }
    expect(shapes).toContain('ac'); // a middle batch lost, a later one kept
    expect(shapes.size).toBe(8);
  });

  it('a crash invalidates open handles; a fork is a separate disk', async () => {
    const disk = new MemoryKv();
    const kv = disk.open();
    await kv.batch([put('a', '1')], { sync: false });
    const copy = disk.fork();
    disk.kill();
    await expect(kv.batch([put('b', '1')], { sync: true })).rejects.toMatchObject({ code: 'Stopped' });
    const again = copy.open();
    await again.batch([put('c', '1')], { sync: true });
    await again.close();
    expect(await contents(copy)).toEqual({ a: '1', c: '1' });
    expect(await contents(disk)).toEqual({ a: '1' });
  });
});
