/**
 * Ranges inside txns under --max-response-bytes (issue 15): a read-only txn fails like a range;
 * a write txn is applied whatever its ranges come to, identically on members with different
 * bounds, and only its answer says that the ranges were too large.
 */
import { describe, expect, it } from 'vitest';
import { ResponseTooLargeError } from '../../src/store/range-size.js';
import type { RequestOp, TxnRequest } from '../../src/store/requests.js';
import { b, openStore } from './model/helpers.js';

const range = (key: string, rangeEnd: string, limit?: number): RequestOp => ({ type: 'range', request: { key: b(key), rangeEnd: b(rangeEnd), limit } });
const put = (key: string, value: string): RequestOp => ({ type: 'put', request: { key: b(key), value: b(value) } });
const all = range('r/', 'r0');

/** 50 keys of 1,000-byte values: a full range is ~51 KB of protobuf. */
async function storeWith(maxResponseBytes?: number) {
  const opened = await openStore(maxResponseBytes === undefined ? {} : { maxResponseBytes });
  for (let i = 0; i < 50; i++) await opened.store.put({ key: b(`r/${String(i).padStart(2, '0')}`), value: new Uint8Array(1000).fill(7) });
  return opened;
}

describe('ranges inside txns above --max-response-bytes', () => {
  it('a read-only txn fails with ResourceExhausted naming its size, counting all its ranges', async () => {
    const { store } = await storeWith(40_000);
    const err = await store.txn({ success: [all] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    expect(err).toMatchObject({ code: 'ResponseTooLarge', grpcCode: 8, limit: 40_000 });
    expect((err as ResponseTooLargeError).size).toBeGreaterThan(50 * 1000);
    expect((err as Error).message).toMatch(/^grpc: trying to send message larger than max \(\d+ vs\. 40000\)$/);
    // Two ranges of 25 keys each fit alone (~26 KB) but not together; nested levels count too.
    await expect(store.txn({ success: [range('r/', 'r0', 25)] })).resolves.toMatchObject({ succeeded: true });
    await expect(store.txn({ success: [range('r/', 'r0', 25), range('r/', 'r0', 25)] })).rejects.toMatchObject({ code: 'ResponseTooLarge' });
    const nested: TxnRequest = { success: [range('r/', 'r0', 25), { type: 'txn', request: { success: [range('r/', 'r0', 25)] } }] };
    await expect(store.txn(nested)).rejects.toMatchObject({ code: 'ResponseTooLarge' });
    expect(store.currentRevision()).toBe(51);
  });

  it('a write txn applies the same everywhere; only the member whose bound it passed says so', async () => {
    const small = await storeWith(40_000);
    const large = await storeWith(1_000_000);
    const unbounded = await storeWith();
    const txn: TxnRequest = { success: [put('w/1', 'a'), all, put('w/2', 'b'), range('w/', 'w0')] };
    const [s, l, u] = [await small.store.txn(txn), await large.store.txn(txn), await unbounded.store.txn(txn)];
    expect(s.tooLarge).toBeGreaterThan(50 * 1000);
    expect(l.tooLarge).toBeUndefined();
    expect(l).toEqual(u);
    // The cut-short answer: the writes' responses are there, the ranges from the big one on are empty.
    expect(s.revision).toBe(52);
    expect(s.responses.map((r) => r.type)).toEqual(['put', 'range', 'put', 'range']);
    expect(s.responses.filter((r) => r.type === 'range').map((r) => (r.type === 'range' ? r.response.kvs.length : -1))).toEqual([0, 0]);
    expect(l.responses.filter((r) => r.type === 'range').map((r) => (r.type === 'range' ? r.response.kvs.length : -1))).toEqual([50, 2]);
    // Same writes, same revision, same key space on every member.
    expect(await small.store.hash()).toEqual(await large.store.hash());
    expect(await small.store.hash()).toEqual(await unbounded.store.hash());
    expect((await small.store.range({ key: b('w/'), rangeEnd: b('w0') })).kvs.map((kv) => Buffer.from(kv.value).toString())).toEqual(['a', 'b']);
  });

  it('a delete with prev_kv past the bound deletes the same everywhere and answers only its size', async () => {
    const small = await storeWith(40_000);
    const unbounded = await storeWith();
    const del = { key: b('r/'), rangeEnd: b('r0'), prevKv: true };
    const [s, u] = [await small.store.deleteRange(del), await unbounded.store.deleteRange(del)];
    expect(s.tooLarge).toBeGreaterThan(40_000);
    expect(s.prevKvs).toEqual([]);
    expect(u.tooLarge).toBeUndefined();
    expect(u.prevKvs).toHaveLength(50);
    expect(s.deleted).toBe(50);
    expect(await small.store.hash()).toEqual(await unbounded.store.hash());
    expect((await small.store.range({ key: b('r/'), rangeEnd: b('r0') })).count).toBe(0);
    // Within the bound, prev_kv answers as before.
    const fits = await storeWith(40_000);
    const few = await fits.store.deleteRange({ key: b('r/00'), rangeEnd: b('r/10'), prevKv: true });
    expect(few.tooLarge).toBeUndefined();
    expect(few.prevKvs).toHaveLength(10);
  });

  it('a delete with prev_kv inside a write txn counts toward the txn bound', async () => {
    const small = await storeWith(40_000);
    const large = await storeWith(1_000_000);
    const txn: TxnRequest = { success: [range('r/', 'r0', 30), { type: 'deleteRange', request: { key: b('r/'), rangeEnd: b('r0'), prevKv: true } }] };
    const [s, l] = [await small.store.txn(txn), await large.store.txn(txn)];
    expect(s.tooLarge).toBeGreaterThan(40_000);
    expect(l.tooLarge).toBeUndefined();
    const deleted = (r: typeof s) => r.responses.flatMap((x) => (x.type === 'deleteRange' ? [x.response.deleted, x.response.prevKvs.length] : []));
    expect(deleted(s)).toEqual([50, 0]);
    expect(deleted(l)).toEqual([50, 50]);
    expect(await small.store.hash()).toEqual(await large.store.hash());
  });
});
