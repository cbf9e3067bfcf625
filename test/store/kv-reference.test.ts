/**
 * The KV examples of reference/etcd-gateway.md §3, replayed in order against KvStore, then the
 * revision and range rules of §4.1–§4.2 as tables.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { KvError } from '../../src/util/errors.js';
import { prefixRangeEnd } from '../../src/util/bytes.js';
import type { KvStore } from '../../src/store/kv-store.js';
import type { RangeRequest } from '../../src/store/requests.js';
import { b, kv, openStore, putAll, ZERO } from './model/helpers.js';

describe('reference §3: the verified etcd 3.4 session, in order', () => {
  let store: KvStore;
  beforeAll(async () => {
    ({ store } = await openStore());
  });

  it('put foo=bar takes revision 2 on a fresh store (at revision 1)', async () => {
    expect(store.currentRevision()).toBe(1);
    expect(await store.put({ key: b('foo'), value: b('bar') })).toEqual({ revision: 2 });
  });

  it('put with prev_kv returns the previous pair', async () => {
    expect(await store.put({ key: b('foo'), value: b('baz'), prevKv: true })).toEqual({
      revision: 3,
      prevKv: kv('foo', 2, 2, 1, 'bar'),
    });
  });

  it('range of one key', async () => {
    expect(await store.range({ key: b('foo') })).toEqual({ revision: 3, kvs: [kv('foo', 2, 3, 2, 'baz')], more: false, count: 1 });
  });

  it('range of a missing key is empty, not an error', async () => {
    expect(await store.range({ key: b('nothing') })).toEqual({ revision: 3, kvs: [], more: false, count: 0 });
  });

  it('limit cuts the keys, sets more, and count stays the full count', async () => {
    await putAll(store, [['a/1', '1'], ['a/2', '2'], ['a/3', '3'], ['b', 'x']]);
    expect(store.currentRevision()).toBe(7);
    expect(await store.range({ key: b('a/'), rangeEnd: b('a0'), limit: 2 })).toEqual({
      revision: 7,
      kvs: [kv('a/1', 4, 4, 1, '1'), kv('a/2', 5, 5, 1, '2')],
      more: true,
      count: 3,
    });
  });

  it('min_mod_revision filters, keys_only drops values, count ignores the filter', async () => {
    expect(await store.range({ key: b('a/'), rangeEnd: b('a0'), minModRevision: 6, keysOnly: true })).toEqual({
      revision: 7,
      kvs: [kv('a/3', 6, 6, 1, '')],
      more: false,
      count: 3,
    });
  });

  it('a future revision and an empty key are errors', async () => {
    await expect(store.range({ key: b('a/'), rangeEnd: b('a0'), revision: 1000 })).rejects.toMatchObject({
      code: 'FutureRev',
      message: 'etcdserver: mvcc: required revision is a future revision',
    });
    await expect(store.range({ key: b('') })).rejects.toMatchObject({ code: 'EmptyKey', message: 'etcdserver: key is not provided' });
  });

  it('txn: a value compare succeeds; the range after the put sees it; one revision', async () => {
    const resp = await store.txn({
      compare: [{ target: 'VALUE', key: b('foo'), result: 'EQUAL', value: b('baz') }],
      success: [
        { type: 'put', request: { key: b('foo'), value: b('qux'), prevKv: true } },
        { type: 'range', request: { key: b('foo') } },
      ],
      failure: [{ type: 'range', request: { key: b('foo') } }],
    });
    expect(resp).toEqual({
      revision: 8,
      succeeded: true,
      responses: [
        { type: 'put', response: { revision: 8, prevKv: kv('foo', 2, 3, 2, 'baz') } },
        { type: 'range', response: { revision: 8, kvs: [kv('foo', 2, 8, 3, 'qux')], more: false, count: 1 } },
      ],
    });
  });

  it('txn: a failed compare runs the failure branch and does not bump the revision', async () => {
    const resp = await store.txn({
      compare: [{ target: 'CREATE', key: b('foo'), result: 'EQUAL', createRevision: 0 }],
      success: [{ type: 'put', request: { key: b('foo'), value: b('never') } }],
      failure: [{ type: 'range', request: { key: b('foo') } }],
    });
    expect(resp).toEqual({
      revision: 8,
      succeeded: false,
      responses: [{ type: 'range', response: { revision: 8, kvs: [kv('foo', 2, 8, 3, 'qux')], more: false, count: 1 } }],
    });
  });

  it('nested txn: the nested response has an empty header (revision 0)', async () => {
    const resp = await store.txn({
      success: [
        { type: 'deleteRange', request: { key: b('a/3'), prevKv: true } },
        { type: 'txn', request: { success: [{ type: 'range', request: { key: b('b') } }] } },
      ],
    });
    expect(resp).toEqual({
      revision: 9,
      succeeded: true,
      responses: [
        { type: 'deleteRange', response: { revision: 9, deleted: 1, prevKvs: [kv('a/3', 6, 6, 1, '3')] } },
        {
          type: 'txn',
          response: { revision: 0, succeeded: true, responses: [{ type: 'range', response: { revision: 9, kvs: [kv('b', 7, 7, 1, 'x')], more: false, count: 1 } }] },
        },
      ],
    });
  });

  it('an empty txn succeeds at the current revision', async () => {
    expect(await store.txn({})).toEqual({ revision: 9, succeeded: true, responses: [] });
  });

  it('two puts of one key in a txn: duplicate key, nothing applied', async () => {
    const put = { type: 'put', request: { key: b('k1'), value: b('v') } } as const;
    await expect(store.txn({ success: [put, put] })).rejects.toMatchObject({
      code: 'DuplicateKey',
      message: 'etcdserver: duplicate key given in txn request',
    });
    expect(store.currentRevision()).toBe(9);
  });

  it('deleterange with prev_kv over a range', async () => {
    expect(await store.deleteRange({ key: b('a/'), rangeEnd: b('a0'), prevKv: true })).toEqual({
      revision: 10,
      deleted: 2,
      prevKvs: [kv('a/1', 4, 4, 1, '1'), kv('a/2', 5, 5, 1, '2')],
    });
  });

  it('after compacting at 3, revision 2 is compacted and 3 is readable', async () => {
    const c = await store.compact(3);
    expect(c.revision).toBe(10);
    await c.physical;
    await expect(store.range({ key: b('foo'), revision: 2 })).rejects.toMatchObject({
      code: 'Compacted',
      message: 'etcdserver: mvcc: required revision has been compacted',
    });
    expect(await store.range({ key: b('foo'), revision: 3 })).toMatchObject({ revision: 10, kvs: [kv('foo', 2, 3, 2, 'baz')] });
  });
});

describe('reference §4.1: revisions', () => {
  it('only writes that change something take a revision', async () => {
    const { store } = await openStore();
    await store.put({ key: b('x'), value: b('1') });
    await store.put({ key: b('x'), value: b('1') }); // identical value: still a write
    expect(store.currentRevision()).toBe(3);
    expect(await store.deleteRange({ key: b('missing') })).toEqual({ revision: 3, deleted: 0, prevKvs: [] });
    expect(await store.txn({ success: [{ type: 'deleteRange', request: { key: b('missing') } }] })).toMatchObject({ revision: 3 });
    expect(store.currentRevision()).toBe(3);
    await store.deleteRange({ key: b('x') });
    expect(store.currentRevision()).toBe(4);
  });

  it('delete ends a generation: re-creation starts at version 1 with a new create revision', async () => {
    const { store } = await openStore();
    await putAll(store, [['k', '1'], ['k', '2']]);
    await store.deleteRange({ key: b('k') });
    await store.put({ key: b('k'), value: b('3') });
    expect((await store.range({ key: b('k') })).kvs).toEqual([kv('k', 5, 5, 1, '3')]);
    expect((await store.range({ key: b('k'), revision: 3 })).kvs).toEqual([kv('k', 2, 3, 2, '2')]);
    expect((await store.range({ key: b('k'), revision: 4 })).kvs).toEqual([]);
  });
});

describe('reference §4.2: range options', () => {
  let store: KvStore;
  beforeAll(async () => {
    ({ store } = await openStore());
    // rev 2..7: a=1, b=22, c=3, a=111 (a v2), d=4 ... then \xff key
    await putAll(store, [['a', '1'], ['b', '22'], ['c', '3'], ['a', '111'], ['d', '0']]);
    await store.put({ key: new Uint8Array([0xff]), value: b('ff') });
  });
  const keys = async (r: RangeRequest) => (await store.range(r)).kvs.map((x) => Buffer.from(x.key).toString('latin1'));

  it.each<[string, RangeRequest, string[]]>([
    ['range_end \\0: every key >= key', { key: b('b'), rangeEnd: ZERO }, ['b', 'c', 'd', '\xff']],
    ['key \\0 and range_end \\0: the whole key space', { key: ZERO, rangeEnd: ZERO }, ['a', 'b', 'c', 'd', '\xff']],
    ['prefix range end', { key: b('a'), rangeEnd: prefixRangeEnd(b('a')) }, ['a']],
    ['all-0xff prefix gives \\0', { key: new Uint8Array([0xff]), rangeEnd: prefixRangeEnd(new Uint8Array([0xff])) }, ['\xff']],
    ['half-open [b, d)', { key: b('b'), rangeEnd: b('d') }, ['b', 'c']],
    ['range_end <= key: empty', { key: b('c'), rangeEnd: b('b') }, []],
    ['range_end == key: empty', { key: b('c'), rangeEnd: b('c') }, []],
    ['target VERSION with order NONE sorts ascending', { key: b('a'), rangeEnd: ZERO, sortTarget: 'VERSION' }, ['b', 'c', 'd', '\xff', 'a']],
    ['sort happens before limit: DESCEND by VALUE, limit 2', { key: b('a'), rangeEnd: ZERO, sortOrder: 'DESCEND', sortTarget: 'VALUE', limit: 2 }, ['\xff', 'c']],
    ['DESCEND by KEY', { key: b('a'), rangeEnd: ZERO, sortOrder: 'DESCEND' }, ['\xff', 'd', 'c', 'b', 'a']],
    ['ASCEND by MOD', { key: b('a'), rangeEnd: ZERO, sortOrder: 'ASCEND', sortTarget: 'MOD' }, ['b', 'c', 'a', 'd', '\xff']],
    ['DESCEND by CREATE', { key: b('a'), rangeEnd: ZERO, sortOrder: 'DESCEND', sortTarget: 'CREATE' }, ['\xff', 'd', 'c', 'b', 'a']],
    ['filters are inclusive and keep key order: mod in [3, 5]', { key: b('a'), rangeEnd: ZERO, minModRevision: 3, maxModRevision: 5 }, ['a', 'b', 'c']],
    ['create filters: create in [2, 3]', { key: b('a'), rangeEnd: ZERO, minCreateRevision: 2, maxCreateRevision: 3 }, ['a', 'b']],
    ['historical revision 4: only a, b, c existed then', { key: b('a'), rangeEnd: ZERO, revision: 4 }, ['a', 'b', 'c']],
    ['revision <= 0 means current', { key: b('a'), rangeEnd: ZERO, revision: -5 }, ['a', 'b', 'c', 'd', '\xff']],
  ])('%s', async (_name, req, want) => {
    expect(await keys(req)).toEqual(want);
  });

  it('count_only returns only the count; limit and filters do not change it', async () => {
    expect(await store.range({ key: b('a'), rangeEnd: ZERO, countOnly: true, limit: 1 })).toEqual({ revision: 7, kvs: [], more: false, count: 5 });
    expect(await store.range({ key: b('a'), rangeEnd: ZERO, maxModRevision: 2, limit: 1 })).toEqual({ revision: 7, kvs: [], more: false, count: 5 });
  });

  it('more is set only when the limit cut something', async () => {
    expect(await store.range({ key: b('a'), rangeEnd: b('c'), limit: 2 })).toMatchObject({ more: false, count: 2 });
    expect(await store.range({ key: b('a'), rangeEnd: b('d'), limit: 2, sortOrder: 'DESCEND' })).toMatchObject({ more: true, count: 3 });
  });

  it('the header revision is the current one even for a historical read', async () => {
    expect(await store.range({ key: b('a'), revision: 2 })).toEqual({ revision: 7, kvs: [kv('a', 2, 2, 1, '1')], more: false, count: 1 });
  });

  it('bad shapes are InvalidArgument, not crashes', async () => {
    await expect(store.range({ key: 'a' as unknown as Uint8Array })).rejects.toBeInstanceOf(KvError);
    await expect(store.range({ key: b('a'), limit: 1.5 })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(store.range({ key: b('a'), sortOrder: 'UP' as 'ASCEND' })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});
