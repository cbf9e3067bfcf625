/**
 * Reading values for a range: every record is checked against the index entry it was read for,
 * batches are read ahead, and what a reader gets is its own copy.
 */
import { describe, expect, it } from 'vitest';
import { encodeRevKey } from '../../src/store/revision.js';
import { encodeRecord } from '../../src/store/records.js';
import { b, kv, openStore, ZERO } from './model/helpers.js';

const ALL = { key: ZERO, rangeEnd: ZERO };

describe('range values', () => {
  it('a record holding another key of the same length is StorageCorrupt, not served', async () => {
    const { store, backend } = await openStore();
    await store.put({ key: b('abc'), value: b('1') }); // revision 2
    await store.put({ key: b('abx'), value: b('2') }); // revision 3
    await store.put({ key: b('zzz'), value: b('3') }); // revision 4
    // The record at 2 names a key differing in its first byte; the one at 3, in its last.
    await backend.write([
      { type: 'put', bucket: 'key', key: encodeRevKey({ main: 2, sub: 0 }), value: encodeRecord(kv('xbc', 2, 2, 1, '1')) },
      { type: 'put', bucket: 'key', key: encodeRevKey({ main: 3, sub: 0 }), value: encodeRecord(kv('abc', 3, 3, 1, '2')) },
    ]);
    await expect(store.range({ key: b('abc') })).rejects.toMatchObject({ code: 'StorageCorrupt' });
    await expect(store.range({ key: b('abx') })).rejects.toMatchObject({ code: 'StorageCorrupt' });
    await expect(store.range({ key: b('zzz') })).resolves.toMatchObject({ count: 1 });
  });

  it('a range of many batches answers every key in order, its values its own to change', async () => {
    const { store } = await openStore();
    const n = 1000; // four read batches, the last one short
    for (let i = 0; i < n; i += 100) {
      await store.txn({ compare: [], success: Array.from({ length: 100 }, (_, j) => ({ type: 'put' as const, request: { key: b(`k/${String(i + j).padStart(4, '0')}`), value: b(`v${i + j}`) } })), failure: [] });
    }
    const first = await store.range(ALL);
    expect(first.kvs.map((x) => Buffer.from(x.value).toString())).toEqual(Array.from({ length: n }, (_, i) => `v${i}`));
    expect(first.kvs.map((x) => Buffer.from(x.key).toString())).toEqual(Array.from({ length: n }, (_, i) => `k/${String(i).padStart(4, '0')}`));
    for (const x of first.kvs) {
      x.key.fill(0x21);
      x.value.fill(0x21);
    }
    const again = await store.range(ALL);
    expect(again.kvs.map((x) => Buffer.from(x.value).toString())).toEqual(Array.from({ length: n }, (_, i) => `v${i}`));
    expect(again.kvs.map((x) => Buffer.from(x.key).toString())).toEqual(Array.from({ length: n }, (_, i) => `k/${String(i).padStart(4, '0')}`));
  });
});
