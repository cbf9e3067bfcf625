/**
 * The Backend contract, run against MemoryBackend, LevelBackend and the backend of MemoryDataDir
 * (backend.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { iterateBatches, type Backend, type BackendOp, type BucketName, type IterateOptions } from '../../src/storage/backend.js';
import { utf8 } from '../../src/util/bytes.js';
import { collect, type BackendFactory } from './harness.js';

const put = (bucket: BucketName, key: string, value: string): BackendOp => ({ type: 'put', bucket, key: utf8(key), value: utf8(value) });
const del = (bucket: BucketName, key: string): BackendOp => ({ type: 'del', bucket, key: utf8(key) });
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString());

async function keys(backend: Pick<Backend, 'iterate'>, bucket: BucketName, o?: IterateOptions): Promise<string[]> {
  return (await collect(backend.iterate(bucket, o))).map(([k]) => Buffer.from(k).toString());
}

export function backendConformance(name: string, factories: { make: BackendFactory; other: BackendFactory }): void {
  describe(`Backend conformance: ${name}`, () => {
    let backend: Backend;
    const cleanups: Array<() => Promise<void>> = [];
    async function make(f: BackendFactory): Promise<Backend> {
      const { backend: b, cleanup } = await f();
      cleanups.push(cleanup);
      return b;
    }

    beforeEach(async () => {
      backend = await make(factories.make);
      await backend.write(['a', 'b', 'c', 'd', 'e'].map((k) => put('key', k, `v-${k}`)));
    });
    afterEach(async () => {
      for (const c of cleanups.splice(0)) await c();
    });

    it('gets, overwrites and deletes; buckets are disjoint', async () => {
      await backend.write([put('meta', 'a', 'meta-a'), put('key', 'b', 'v-b2'), del('key', 'c'), del('lease', 'zz')]);
      expect(text(await backend.get('key', utf8('a')))).toBe('v-a');
      expect(text(await backend.get('key', utf8('b')))).toBe('v-b2');
      expect(await backend.get('key', utf8('c'))).toBeUndefined();
      expect(text(await backend.get('meta', utf8('a')))).toBe('meta-a');
      expect(await backend.get('lease', utf8('a'))).toBeUndefined();
      expect(await keys(backend, 'meta')).toEqual(['a']);
      expect(await keys(backend, 'auth')).toEqual([]);
    });

    it('iterates with every bound, both directions, and a limit', async () => {
      await backend.write([put('members', 'x', '1'), put('alarm', 'a', '1')]);
      expect(await keys(backend, 'key')).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(await keys(backend, 'key', { gt: utf8('b'), lt: utf8('e') })).toEqual(['c', 'd']);
      expect(await keys(backend, 'key', { gte: utf8('b'), lte: utf8('d') })).toEqual(['b', 'c', 'd']);
      expect(await keys(backend, 'key', { reverse: true })).toEqual(['e', 'd', 'c', 'b', 'a']);
      expect(await keys(backend, 'key', { reverse: true, gt: utf8('a'), lt: utf8('d') })).toEqual(['c', 'b']);
      expect(await keys(backend, 'key', { reverse: true, gte: utf8('b'), lte: utf8('d'), limit: 2 })).toEqual(['d', 'c']);
      expect(await keys(backend, 'key', { gte: utf8('bb'), limit: 2 })).toEqual(['c', 'd']);
      expect(await keys(backend, 'key', { limit: 0 })).toEqual([]);
      expect(await keys(backend, 'key', { gt: utf8('e') })).toEqual([]);
    });

    it('iterates in batches exactly what it iterates one by one, and stops cleanly when the caller does', async () => {
      // Past LevelDB's scan batch (1024), so several batches are read, each ahead of its use.
      const many = Array.from({ length: 2500 }, (_, i) => put('lease', `k${String(i).padStart(5, '0')}`, `v${i}`));
      await backend.write(many);
      const flat = async (o?: IterateOptions): Promise<string[]> => {
        const out: string[] = [];
        for await (const batch of iterateBatches(backend, 'lease', o)) for (const [k, v] of batch) out.push(`${Buffer.from(k).toString()}=${Buffer.from(v).toString()}`);
        return out;
      };
      const one = async (o?: IterateOptions): Promise<string[]> => (await collect(backend.iterate('lease', o))).map(([k, v]) => `${Buffer.from(k).toString()}=${Buffer.from(v).toString()}`);
      const all = await flat();
      expect(all.length).toBe(2500);
      expect(all).toEqual(await one());
      for (const o of [{ gte: utf8('k01000'), lt: utf8('k02100') }, { reverse: true, limit: 1500 }, { gt: utf8('k02499') }, { limit: 0 }]) expect(await flat(o)).toEqual(await one(o));
      for await (const batch of iterateBatches(backend, 'lease')) {
        expect(batch.length).toBeGreaterThan(0);
        break;
      }
      await backend.write([put('lease', 'after', 'break')]);
      expect(text(await backend.get('lease', utf8('after')))).toBe('break');
    });

    it('keys are raw bytes ordered bytewise, including 0x00 and 0xff', async () => {
      const raw = [new Uint8Array([]), new Uint8Array([0]), new Uint8Array([0, 0xff]), new Uint8Array([0xff]), new Uint8Array([0xff, 0xff])];
      await backend.write(raw.map((k) => ({ type: 'put', bucket: 'lease', key: k, value: k })));
      const got = await collect(backend.iterate('lease'));
      expect(got.map(([k]) => [...k])).toEqual(raw.map((k) => [...k]));
      expect(got.map(([, v]) => [...v])).toEqual(raw.map((k) => [...k]));
      expect(await collect(backend.iterate('key', { gte: new Uint8Array([0xff]) }))).toEqual([]);
    });

    it('stores copies: mutating a written buffer later changes nothing', async () => {
      const value = utf8('before');
      await backend.write([{ type: 'put', bucket: 'key', key: utf8('m'), value }]);
      value.fill(0);
      expect(text(await backend.get('key', utf8('m')))).toBe('before');
    });

    it('snapshot is a point-in-time view across buckets', async () => {
      await backend.write([put('meta', 'applied', '5')]);
      const snap = await backend.snapshot();
      await backend.write([put('key', 'a', 'changed'), del('key', 'b'), put('key', 'f', 'new'), put('meta', 'applied', '6')]);
      expect(text(await snap.get('key', utf8('a')))).toBe('v-a');
      expect(text(await snap.get('meta', utf8('applied')))).toBe('5');
      expect((await collect(snap.iterate('key'))).map(([k]) => Buffer.from(k).toString())).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(text(await backend.get('meta', utf8('applied')))).toBe('6');
      await snap.release();
    });

    it('streams a snapshot that restores into either implementation and back', async () => {
      await backend.write([put('meta', 'applied', '7'), put('lease', 'l1', 'ttl'), { type: 'put', bucket: 'key', key: utf8('big'), value: new Uint8Array(300_000).fill(7) }]);
      const snap = await backend.snapshot();
      await backend.write([put('key', 'after', 'x')]);
      const other = await make(factories.other);
      await other.write([put('key', 'stale', 'gone'), put('auth', 'u', 'gone')]);
      await other.restore(snap.chunks(64 * 1024));
      await snap.release();
      expect(await keys(other, 'key')).toEqual(['a', 'b', 'big', 'c', 'd', 'e']);
      expect(await keys(other, 'auth')).toEqual([]);
      expect(text(await other.get('meta', utf8('applied')))).toBe('7');
      expect((await other.get('key', utf8('big')))?.length).toBe(300_000);
      // And back: restore replaces this backend's contents (the 'after' write disappears).
      const back = await other.snapshot();
      await backend.restore(back.chunks());
      await back.release();
      expect(await keys(backend, 'key')).toEqual(['a', 'b', 'big', 'c', 'd', 'e']);
      expect(text(await backend.get('lease', utf8('l1')))).toBe('ttl');
    });

    it('restores and clears many records across bounded batches', async () => {
      const many: BackendOp[] = [];
      for (let i = 0; i < 2500; i++) many.push(put('alarm', `k${String(i).padStart(5, '0')}`, `v${i}`));
      await backend.write(many);
      const other = await make(factories.other);
      await other.write(many.map((op) => ({ ...op, bucket: 'members' as const })));
      const snap = await backend.snapshot();
      await other.restore(snap.chunks(8 * 1024));
      await snap.release();
      expect((await keys(other, 'alarm')).length).toBe(2500);
      expect(await keys(other, 'members')).toEqual([]);
      expect(text(await other.get('alarm', utf8('k02499')))).toBe('v2499');
    });

    it('restores a snapshot stream cut anywhere (as a transport re-cuts it), and refuses one cut short', async () => {
      const many: BackendOp[] = [];
      for (let i = 0; i < 400; i++) many.push(put('key', `k${String(i).padStart(4, '0')}`, 'v'.repeat(i % 7 === 0 ? 5000 : 20)));
      await backend.write(many);
      const snap = await backend.snapshot();
      const pieces: Uint8Array[] = [];
      for await (const chunk of snap.chunks(16 * 1024)) pieces.push(chunk);
      await snap.release();
      const bytes = Buffer.concat(pieces);
      // Pieces of 1..3000 bytes, never aligned with the 16 KiB chunks the snapshot produced.
      async function* recut(upTo: number): AsyncIterable<Uint8Array> {
        let seed = 7;
        for (let at = 0; at < upTo; ) {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          const n = 1 + (seed % 3000);
          yield bytes.subarray(at, Math.min(upTo, at + n));
          at += n;
        }
      }
      const other = await make(factories.other);
      await other.restore(recut(bytes.length));
      expect((await keys(other, 'key')).filter((k) => k.startsWith('k0')).length).toBe(400);
      expect(text(await other.get('key', utf8('k0398')))).toBe('v'.repeat(20));
      expect(text(await other.get('key', utf8('k0399')))).toBe('v'.repeat(5000));
      const third = await make(factories.other);
      await expect(third.restore(recut(bytes.length - 10))).rejects.toMatchObject({ code: 'StorageCorrupt' });
    });

    it('rejects a corrupt snapshot chunk with StorageCorrupt', async () => {
      async function* junk(): AsyncIterable<Uint8Array> {
        yield new Uint8Array([0x93, 1, 2, 3]);
      }
      await expect(backend.restore(junk())).rejects.toMatchObject({ code: 'StorageCorrupt' });
    });

    it('reports a size that grows with the data', async () => {
      const before = await backend.sizeBytes();
      const ops: BackendOp[] = [];
      for (let i = 0; i < 64; i++) ops.push({ type: 'put', bucket: 'key', key: utf8(`big-${i}`), value: Uint8Array.from({ length: 16_384 }, (_, j) => (i * 31 + j * 17) & 0xff) });
      await backend.write(ops);
      expect(await backend.sizeBytes()).toBeGreaterThan(before + 500_000);
    });

    it('defragments without losing or reviving a record, and gives the space of deleted ones back', async () => {
      const ops: BackendOp[] = [];
      for (let i = 0; i < 64; i++) ops.push({ type: 'put', bucket: 'key', key: utf8(`big-${i}`), value: Uint8Array.from({ length: 16_384 }, (_, j) => (i * 31 + j * 17) & 0xff) });
      await backend.write(ops);
      const full = await backend.sizeBytes();
      // Deleted but not yet landed (a buffered backend): defragment lands them first.
      await backend.write(ops.map((op) => ({ type: 'del', bucket: 'key', key: op.key })));
      await backend.write([put('meta', 'm', 'kept'), del('key', 'a')]);
      await backend.defragment();
      // Measured first: a read of the whole bucket would land pending deletes by itself.
      expect(await backend.sizeBytes()).toBeLessThan(full - 500_000);
      expect(await keys(backend, 'key')).toEqual(['b', 'c', 'd', 'e']);
      expect(text(await backend.get('meta', utf8('m')))).toBe('kept');
    });

    it('refuses use after close', async () => {
      await backend.close();
      await expect(Promise.resolve().then(() => backend.get('key', utf8('a')))).rejects.toThrow(/closed/);
    });
  });
}
