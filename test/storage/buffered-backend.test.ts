/**
 * BufferedBackend (the data dir's backend): buffered writes are visible at once, land as one
 * batch per flush in write order, survive callers reusing their buffers, and a failed flush
 * stops the backend instead of losing writes silently. The conformance suite (backend.test.ts)
 * runs over it too.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, BackendOp, WriteOptions } from '../../src/storage/backend.js';
import { BufferedBackend } from '../../src/storage/buffered-backend.js';
import { MemoryBackend } from '../../src/storage/memory-backend.js';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';

class CountingBackend extends MemoryBackend {
  writes: number[] = [];
  failNext = false;
  gate: Promise<void> | undefined;
  override async write(ops: readonly BackendOp[], options?: WriteOptions): Promise<void> {
    if (this.gate !== undefined) await this.gate;
    if (this.failNext) throw new Error('disk full');
    this.writes.push(ops.length);
    return super.write(ops);
  }
}

const put = (k: string, v: string): BackendOp => ({ type: 'put', bucket: 'key', key: utf8(k), value: utf8(v) });
const del = (k: string): BackendOp => ({ type: 'del', bucket: 'key', key: utf8(k) });
const read = async (b: Backend, k: string) => {
  const v = await b.get('key', utf8(k));
  return v === undefined ? undefined : fromUtf8(v);
};
const nextTurn = () => new Promise((r) => setImmediate(r));

describe('BufferedBackend', () => {
  it('answers reads from pending writes before they land, then from the store', async () => {
    const inner = new CountingBackend();
    const b = new BufferedBackend(inner);
    await b.write([put('a', '1'), put('b', '2')]);
    await b.write([del('a'), put('b', '3')]);
    expect(await read(inner, 'b')).toBeUndefined();
    expect(await read(b, 'a')).toBeUndefined();
    expect(await read(b, 'b')).toBe('3');
    await b.flush();
    // One batch, with only the newest op per key: del a, put b=3 (put a=1 and b=2 are superseded).
    expect(inner.writes).toEqual([2]);
    expect(await read(inner, 'a')).toBeUndefined();
    expect(await read(inner, 'b')).toBe('3');
    expect(await read(b, 'b')).toBe('3');
    expect(b.pendingOps).toBe(0);
  });

  it('an unread delete (compaction garbage) lands in order with the other writes, without an overlay entry', async () => {
    const inner = new CountingBackend();
    const b = new BufferedBackend(inner);
    await b.write([put('old', '1'), put('k', '1')]);
    await b.flush();
    await b.write([put('k', '2')]);
    await b.write([del('old')], { unread: true });
    await b.write([put('n', '3')]);
    expect(b.pendingOps).toBe(3);
    // No overlay entry: until it lands, a read still finds the record (no reader asks for it).
    expect(await read(b, 'old')).toBe('1');
    await b.flush();
    expect(inner.writes).toEqual([2, 3]);
    expect(await read(inner, 'old')).toBeUndefined();
    expect(await read(b, 'k')).toBe('2');
    expect(await read(inner, 'n')).toBe('3');
    expect(b.pendingOps).toBe(0);
    await expect(b.write([put('x', '1')], { unread: true })).rejects.toThrow(/only deletes/);
  });

  it('reads many keys at once: pending values and deletions from the overlay, the rest from the store, in order', async () => {
    const inner = new CountingBackend();
    const b = new BufferedBackend(inner);
    await b.write([put('a', '1'), put('b', '2'), put('c', '3')]);
    await b.flush();
    await b.write([put('b', '20'), del('c'), put('d', '4')]);
    const got = await b.getMany('key', ['a', 'b', 'c', 'd', 'e'].map(utf8));
    expect(got.map((v) => (v === undefined ? undefined : fromUtf8(v)))).toEqual(['1', '20', undefined, '4', undefined]);
  });

  it('lands batches one at a time in write order, and a newer pending value wins over an in-flight one', async () => {
    const inner = new CountingBackend();
    const b = new BufferedBackend(inner);
    let open!: () => void;
    inner.gate = new Promise<void>((r) => (open = r));
    await b.write([put('k', 'old')]);
    const first = b.flush();
    await b.write([put('k', 'new')]);
    const second = b.flush();
    expect(await read(b, 'k')).toBe('new');
    open();
    inner.gate = undefined;
    await Promise.all([first, second]);
    expect(inner.writes).toEqual([1, 1]);
    expect(await read(inner, 'k')).toBe('new');
    expect(await read(b, 'k')).toBe('new');
  });

  it('flushes by itself within its delay when nothing carries the writes, and before iterating or snapshotting', async () => {
    const inner = new CountingBackend();
    const b = new BufferedBackend(inner, 20);
    await b.write([put('a', '1')]);
    await nextTurn();
    expect(await read(inner, 'a')).toBeUndefined(); // waits for a Ready to carry it first
    await new Promise((r) => setTimeout(r, 40));
    expect(await read(inner, 'a')).toBe('1');
    await b.write([put('b', '2')]);
    const keys: string[] = [];
    for await (const [k] of b.iterate('key')) keys.push(fromUtf8(k));
    expect(keys).toEqual(['a', 'b']);
    await b.write([put('c', '3')]);
    const snap = await b.snapshot();
    expect(fromUtf8((await snap.get('key', utf8('c'))) as Uint8Array)).toBe('3');
    await snap.release();
  });

  it('keeps what was written even if the caller reuses its buffers', async () => {
    const b = new BufferedBackend(new MemoryBackend());
    const value = utf8('first');
    await b.write([{ type: 'put', bucket: 'key', key: utf8('k'), value }]);
    value.fill(0);
    expect(await read(b, 'k')).toBe('first');
    await b.flush();
    expect(await read(b, 'k')).toBe('first');
  });

  it('bounds what it holds: a write past 10,000 pending ops waits for a flush', async () => {
    const inner = new CountingBackend();
    const b = new BufferedBackend(inner);
    const ops = Array.from({ length: 10_000 }, (_, i) => put(`k${i}`, 'v'));
    await b.write(ops);
    expect(b.pendingOps).toBe(0);
    expect(inner.writes).toEqual([10_000]);
  });

  it('a failed flush stops the backend: the flush rejects and every later call throws', async () => {
    const inner = new CountingBackend();
    const b = new BufferedBackend(inner);
    await b.write([put('a', '1')]);
    inner.failNext = true;
    await expect(b.flush()).rejects.toThrow(/disk full/);
    await expect(b.get('key', utf8('a'))).rejects.toThrow(/backend write failed earlier: disk full/);
    await expect(b.write([put('b', '2')])).rejects.toThrow(/Stopped|failed earlier/);
    await expect(b.flush()).rejects.toThrow(/disk full/);
  });

  it('every flush is synced, and a sync write flushes at once', async () => {
    const synced: boolean[] = [];
    const inner = new (class extends MemoryBackend {
      override async write(ops: readonly BackendOp[], options?: WriteOptions): Promise<void> {
        synced.push(options?.sync === true);
        return super.write(ops);
      }
    })();
    const b = new BufferedBackend(inner);
    await b.write([put('a', '1')]);
    await b.write([put('b', '2')], { sync: true });
    expect(synced).toEqual([true]);
    await b.write([put('c', '3')]);
    await b.flush();
    expect(synced).toEqual([true, true]);
  });

  it('hands pending ops to a writer it lands through, keeping them visible until they land', async () => {
    const inner = new CountingBackend();
    const b = new BufferedBackend(inner);
    const landedBatches: number[] = [];
    b.landThrough(async () => {
      const drained = b.drain();
      if (drained === undefined) return;
      expect(await read(b, 'a')).toBe('1'); // in flight: still answered from the overlay
      await inner.write(drained.ops);
      landedBatches.push(drained.ops.length);
      drained.landed();
    });
    await b.write([put('a', '1')]);
    await b.write([put('b', '2'), del('c')]);
    await b.flush();
    expect(landedBatches).toEqual([3]);
    expect(b.drain()).toBeUndefined();
    expect(await read(b, 'a')).toBe('1');
    await b.write([put('d', '4')]);
    const drained = b.drain();
    drained?.failed(new Error('disk gone'));
    await expect(b.get('key', utf8('d'))).rejects.toThrow(/failed earlier: disk gone/);
  });

  it('landed() waits for ops another batch is carrying without a batch of its own, and flushes ops nobody took', async () => {
    const inner = new CountingBackend();
    const b = new BufferedBackend(inner, 60_000);
    let synced = 0;
    b.landThrough(async () => {
      synced++;
      const drained = b.drain();
      if (drained === undefined) return;
      await inner.write(drained.ops);
      drained.landed();
    });
    await b.landed(); // nothing written: nothing to wait for
    expect(synced).toBe(0);
    // Pending, taken by no batch: landed() asks for one.
    await b.write([put('a', '1')]);
    await b.landed();
    expect(synced).toBe(1);
    expect(inner.writes).toEqual([1]);
    // Drained into a batch being written (a Ready's): landed() waits for it and adds none.
    await b.write([put('b', '2'), put('c', '3')]);
    const carried = b.drain();
    let done = false;
    const waiting = b.landed().then(() => void (done = true));
    await nextTurn();
    expect(done).toBe(false);
    await inner.write(carried?.ops ?? []);
    carried?.landed();
    await waiting;
    expect(synced).toBe(1);
    // A batch that fails rejects the wait.
    await b.write([put('d', '4')]);
    const lost = b.drain();
    const failing = b.landed();
    lost?.failed(new Error('disk gone'));
    await expect(failing).rejects.toThrow(/disk gone/);
  });
});
