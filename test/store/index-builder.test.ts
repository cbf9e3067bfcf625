/**
 * The key index built record by record as a snapshot streams in (src/store/index-rebuild.ts
 * IndexBuilder): the same index as a rebuild from the stored key bucket, and a stream whose key
 * records are out of revision order is refused (LevelDB orders what it stores; a stream is only
 * as ordered as its sender made it).
 */
import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/storage/memory-backend.js';
import { IndexBuilder, rebuildIndex } from '../../src/store/index-rebuild.js';
import { KvStore } from '../../src/store/kv-store.js';
import { encodeRecord } from '../../src/store/records.js';
import { encodeRevKey, rev } from '../../src/store/revision.js';
import { b } from './model/helpers.js';

const put = (key: string, main: number, create: number, version: number) =>
  [encodeRevKey(rev(main)), encodeRecord({ key: b(key), createRevision: create, modRevision: main, version, value: b('v'), lease: 0 })] as const;

describe('IndexBuilder', () => {
  it('builds what a rebuild from the backend builds', async () => {
    const backend = new MemoryBackend();
    const store = await KvStore.open(backend);
    for (let i = 0; i < 50; i++) await store.put({ key: b(`k${i % 7}`), value: b(`v${i}`) });
    await store.deleteRange({ key: b('k3') });
    await (await store.compact(20)).physical;
    const builder = new IndexBuilder();
    for await (const [k, v] of backend.iterate('key')) builder.add(k, v);
    const streamed = builder.result();
    const rebuilt = await rebuildIndex(backend);
    expect(streamed.maxRevision).toBe(rebuilt.maxRevision);
    const shape = (index: typeof rebuilt.index) => {
      const keys: Array<[string, unknown, boolean, number]> = [];
      index.visit({ start: '', end: '' }, (key, ki) => keys.push([key, ki.revisions(), ki.isLive(), ki.lease]));
      return keys;
    };
    expect(streamed.index.size).toBe(rebuilt.index.size);
    expect(shape(streamed.index)).toEqual(shape(rebuilt.index));
    expect(shape(rebuilt.index).length).toBe(7);
    await store.close();
  });

  it("lists the live leased keys a walk of the index finds: a lease dropped by a later put, a deleted key's, a put again", () => {
    const builder = new IndexBuilder();
    const leased = (key: string, main: number, create: number, version: number, lease: number) =>
      [encodeRevKey(rev(main)), encodeRecord({ key: b(key), createRevision: create, modRevision: main, version, value: b('v'), lease })] as const;
    builder.add(...leased('z', 2, 2, 1, 7));
    builder.add(...leased('a', 3, 3, 1, 7));
    builder.add(...leased('m', 4, 4, 1, 8));
    builder.add(...leased('a', 5, 3, 2, 0));
    builder.add(encodeRevKey(rev(6), true), encodeRecord({ key: b('m'), createRevision: 0, modRevision: 6, version: 0, value: b(''), lease: 0 }));
    builder.add(...leased('q', 7, 7, 1, 9));
    builder.add(...leased('a', 8, 3, 3, 9));
    const result = builder.result();
    expect(result.leasedKeys).toEqual([...result.index.leasedKeys()]);
    expect(result.leasedKeys).toEqual([[9, 'a'], [9, 'q'], [7, 'z']]);
  });

  it('refuses key records out of revision order', () => {
    const builder = new IndexBuilder();
    builder.add(...put('a', 5, 5, 1));
    expect(() => builder.add(...put('b', 4, 4, 1))).toThrow(expect.objectContaining({ code: 'StorageCorrupt', message: expect.stringMatching(/revision order/) }));
    expect(() => builder.add(...put('c', 5, 5, 1))).toThrow(/revision order/);
  });
});
