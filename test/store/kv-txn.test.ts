/** Put, DeleteRange and Txn rules of reference/etcd-gateway.md §4.3–§4.5. */
import { describe, expect, it } from 'vitest';
import type { RequestOp, TxnRequest } from '../../src/store/requests.js';
import { FakeLeases } from './model/lease-fake.js';
import { b, kv, openStore, putAll, ZERO } from './model/helpers.js';

const put = (key: string, value = 'v', lease = 0): RequestOp => ({ type: 'put', request: { key: b(key), value: b(value), lease } });
const del = (key: string, rangeEnd?: Uint8Array): RequestOp => ({ type: 'deleteRange', request: { key: b(key), rangeEnd } });
const range = (key: string): RequestOp => ({ type: 'range', request: { key: b(key) } });

describe('§4.3 put', () => {
  it('ignore_value keeps the value, ignore_lease keeps the lease; both need the key', async () => {
    const leases = new FakeLeases();
    const { store } = await openStore({ leases });
    await store.put({ key: b('k'), value: b('v1'), lease: 1 });
    expect(await store.put({ key: b('k'), ignoreValue: true, lease: 2, prevKv: true })).toEqual({ revision: 3, prevKv: kv('k', 2, 2, 1, 'v1', 1) });
    expect((await store.range({ key: b('k') })).kvs).toEqual([kv('k', 2, 3, 2, 'v1', 2)]);
    await store.put({ key: b('k'), value: b('v3'), ignoreLease: true });
    expect((await store.range({ key: b('k') })).kvs).toEqual([kv('k', 2, 4, 3, 'v3', 2)]);
    await expect(store.put({ key: b('nope'), ignoreValue: true })).rejects.toMatchObject({ code: 'KeyNotFound', message: 'etcdserver: key not found' });
    await expect(store.put({ key: b('nope'), value: b('x'), ignoreLease: true })).rejects.toMatchObject({ code: 'KeyNotFound' });
    expect(store.currentRevision()).toBe(4);
  });

  it('ignore_value with a value and ignore_lease with a lease are rejected', async () => {
    const { store } = await openStore({ leases: new FakeLeases() });
    await store.put({ key: b('k'), value: b('v') });
    await expect(store.put({ key: b('k'), value: b('x'), ignoreValue: true })).rejects.toMatchObject({ code: 'ValueProvided', message: 'etcdserver: value is provided' });
    await expect(store.put({ key: b('k'), lease: 1, ignoreLease: true })).rejects.toMatchObject({ code: 'LeaseProvided', message: 'etcdserver: lease is provided' });
  });

  it('an unknown lease is LeaseNotFound and takes no revision', async () => {
    const { store } = await openStore({ leases: new FakeLeases() });
    await expect(store.put({ key: b('k'), value: b('v'), lease: 424242 })).rejects.toMatchObject({ code: 'LeaseNotFound', grpcCode: 5, httpStatus: 404 });
    expect(store.currentRevision()).toBe(1);
  });

  it('the lessor hears attach and detach once the write is durable', async () => {
    const leases = new FakeLeases();
    const { store } = await openStore({ leases });
    await store.put({ key: b('k'), value: b('1'), lease: 1 });
    await store.put({ key: b('k'), value: b('2'), lease: 2 }); // moves the key to lease 2
    await store.put({ key: b('k'), value: b('3') }); // no lease: detaches
    await store.put({ key: b('j'), value: b('1'), lease: 1 });
    await store.deleteRange({ key: b('j') });
    expect(leases.log).toEqual(['attach 1 6b', 'detach 1 6b', 'attach 2 6b', 'detach 2 6b', 'attach 1 6a', 'detach 1 6a']);
    expect(leases.attached.size).toBe(0);
  });
});

describe('§4.4 delete range', () => {
  it('one revision for the whole range, one DELETE event per key in key order', async () => {
    const { store } = await openStore();
    await putAll(store, [['b', '1'], ['a', '1'], ['c', '1']]);
    const events: string[] = [];
    store.onCommit((rev, evs) => events.push(`${rev}:${evs.map((e) => `${e.type} ${Buffer.from(e.kv.key)} ${e.kv.modRevision}`).join(',')}`));
    expect(await store.deleteRange({ key: b('a'), rangeEnd: ZERO })).toEqual({ revision: 5, deleted: 3, prevKvs: [] });
    expect(events).toEqual(['5:DELETE a 5,DELETE b 5,DELETE c 5']);
    expect(await store.range({ key: b('a'), rangeEnd: ZERO })).toMatchObject({ count: 0 });
  });
});

describe('§4.5 txn compares', () => {
  async function seeded() {
    const leases = new FakeLeases();
    const { store } = await openStore({ leases });
    await store.put({ key: b('a/1'), value: b('x') }); // 2
    await store.put({ key: b('a/2'), value: b('y'), lease: 1 }); // 3
    await store.put({ key: b('a/1'), value: b('z') }); // 4: a/1 v2
    return store;
  }
  const ok = async (compare: TxnRequest['compare']) => (await (await seeded()).txn({ compare })).succeeded;

  it.each<[string, TxnRequest['compare'], boolean]>([
    ['VERSION == 2', [{ key: b('a/1'), target: 'VERSION', result: 'EQUAL', version: 2 }], true],
    ['defaults are EQUAL and VERSION', [{ key: b('a/2'), version: 1 }], true],
    ['VERSION > 2 is false', [{ key: b('a/1'), target: 'VERSION', result: 'GREATER', version: 2 }], false],
    ['CREATE == 2', [{ key: b('a/1'), target: 'CREATE', createRevision: 2 }], true],
    ['MOD < 5', [{ key: b('a/1'), target: 'MOD', result: 'LESS', modRevision: 5 }], true],
    ['MOD != 4 is false', [{ key: b('a/1'), target: 'MOD', result: 'NOT_EQUAL', modRevision: 4 }], false],
    ['VALUE > "y"', [{ key: b('a/1'), target: 'VALUE', result: 'GREATER', value: b('y') }], true],
    ['LEASE == 1', [{ key: b('a/2'), target: 'LEASE', lease: 1 }], true],
    ['LEASE == 0 on a key without lease', [{ key: b('a/1'), target: 'LEASE', lease: 0 }], true],
    ['missing key: CREATE == 0 tests absence', [{ key: b('zz'), target: 'CREATE', createRevision: 0 }], true],
    ['missing key: MOD < N is true', [{ key: b('zz'), target: 'MOD', result: 'LESS', modRevision: 3 }], true],
    ['missing key: VALUE is false even for NOT_EQUAL', [{ key: b('zz'), target: 'VALUE', result: 'NOT_EQUAL', value: b('q') }], false],
    ['missing union field compares against 0', [{ key: b('a/1'), target: 'VERSION', result: 'GREATER' }], true],
    ['missing value compares against empty bytes', [{ key: b('a/1'), target: 'VALUE', result: 'GREATER' }], true],
    ['range compare holds for every key', [{ key: b('a/'), rangeEnd: b('a0'), target: 'CREATE', result: 'GREATER', createRevision: 1 }], true],
    ['range compare fails if one key fails', [{ key: b('a/'), rangeEnd: b('a0'), target: 'VERSION', version: 2 }], false],
    ['range compare with range_end \\0', [{ key: b('a'), rangeEnd: ZERO, target: 'MOD', result: 'LESS', modRevision: 5 }], true],
    ['compares are ANDed', [{ key: b('a/1'), version: 2 }, { key: b('a/2'), version: 2 }], false],
  ])('%s', async (_name, compare, want) => {
    expect(await ok(compare)).toBe(want);
  });
});

describe('§4.5 txn execution', () => {
  it('nested compares are evaluated against the state before the txn', async () => {
    const { store } = await openStore();
    const resp = await store.txn({
      success: [
        put('k', 'new'),
        // Before the txn k did not exist, so this nested compare is true even though k exists now.
        { type: 'txn', request: { compare: [{ key: b('k'), target: 'VERSION', version: 0 }], success: [range('k')], failure: [] } },
      ],
    });
    expect(resp.responses[1]).toEqual({
      type: 'txn',
      response: { revision: 0, succeeded: true, responses: [{ type: 'range', response: { revision: 2, kvs: [kv('k', 2, 2, 1, 'new')], more: false, count: 1 } }] },
    });
  });

  it('ranges before the first write see the old revision, after it the new one', async () => {
    const { store } = await openStore();
    await store.put({ key: b('k'), value: b('old') });
    const resp = await store.txn({ success: [range('k'), put('j'), range('k')] });
    expect(resp.responses.map((r) => r.response.revision)).toEqual([2, 3, 3]);
    expect(resp.revision).toBe(3);
  });

  it('deletes inside a txn hide keys from later ranges and share the revision', async () => {
    const { store } = await openStore();
    await putAll(store, [['a', '1'], ['b', '2']]);
    const resp = await store.txn({ success: [del('a'), { type: 'range', request: { key: b('a'), rangeEnd: ZERO } }, put('c')] });
    expect(resp.responses[1]).toEqual({ type: 'range', response: { revision: 4, kvs: [kv('b', 3, 3, 1, '2')], more: false, count: 1 } });
    expect(await store.range({ key: b('a'), rangeEnd: ZERO })).toMatchObject({ revision: 4, count: 2 });
  });

  it('commit listeners get one call per txn, its events in the order the txn performed them', async () => {
    const { store } = await openStore();
    await store.put({ key: b('a'), value: b('1') });
    const seen: string[] = [];
    store.onCommit((rev, events) => seen.push(`${rev}: ${events.map((e) => `${e.type} ${Buffer.from(e.kv.key)}`).join(', ')}`));
    await store.txn({ success: [put('z'), del('a'), { type: 'txn', request: { success: [put('m')] } }, range('z')] });
    await store.txn({ success: [range('z'), del('nothing')] });
    expect(seen).toEqual(['3: PUT z, DELETE a, PUT m']);
  });

  it('a delete that finds nothing reports the old revision until something changed', async () => {
    const { store } = await openStore();
    const resp = await store.txn({ success: [del('x'), put('y'), del('z')] });
    expect(resp.responses.map((r) => r.response.revision)).toEqual([1, 2, 2]);
  });

  it('too many ops: the widest list counts, nested txns get what is left of the budget', async () => {
    const { store } = await openStore({ maxTxnOps: 4 });
    const five = Array.from({ length: 5 }, (_, i) => range(`k${i}`));
    await expect(store.txn({ success: five })).rejects.toMatchObject({ code: 'TooManyOps', message: 'etcdserver: too many operations in txn request' });
    await expect(store.txn({ compare: five.map(() => ({ key: b('k') })) })).rejects.toMatchObject({ code: 'TooManyOps' });
    const nested = { type: 'txn', request: { success: [range('a'), range('b')] } } as const;
    await expect(store.txn({ success: [range('x'), range('y'), nested] })).rejects.toMatchObject({ code: 'TooManyOps' });
    await expect(store.txn({ success: [range('x'), nested] })).resolves.toMatchObject({ succeeded: true });
  });

  it.each<[string, RequestOp[], boolean]>([
    ['put and delete of one key', [put('k'), del('k')], true],
    ['put inside a deleted range', [del('a', ZERO), put('k')], true],
    ['put in a nested txn and the outer level', [put('k'), { type: 'txn', request: { success: [put('k')] } }], true],
    ['outer delete covering a nested put', [del('a', b('z')), { type: 'txn', request: { failure: [put('k')] } }], true],
    ['the two branches of one nested txn may put the same key', [{ type: 'txn', request: { success: [put('k')], failure: [put('k')] } }], false],
    ['two deletes may overlap', [del('a', b('z')), del('k')], false],
    ['reads may overlap writes', [put('k'), range('k')], false],
  ])('duplicate key rule: %s', async (_name, success, dup) => {
    const { store } = await openStore();
    const result = store.txn({ success });
    if (dup) await expect(result).rejects.toMatchObject({ code: 'DuplicateKey' });
    else await expect(result).resolves.toMatchObject({ succeeded: true });
  });

  it('an op with no request is "key not found"; empty keys in ops and compares are EmptyKey', async () => {
    const { store } = await openStore();
    await expect(store.txn({ success: [{} as RequestOp] })).rejects.toMatchObject({ code: 'KeyNotFound' });
    await expect(store.txn({ success: [put('')] })).rejects.toMatchObject({ code: 'EmptyKey' });
    await expect(store.txn({ compare: [{ key: b('') }] })).rejects.toMatchObject({ code: 'EmptyKey' });
  });

  it('leases and range revisions of the chosen branch are checked before anything is applied', async () => {
    const { store } = await openStore({ leases: new FakeLeases() });
    await expect(store.txn({ success: [put('a'), put('b', 'v', 77)] })).rejects.toMatchObject({ code: 'LeaseNotFound' });
    await expect(store.txn({ success: [put('a'), { type: 'range', request: { key: b('a'), revision: 2 } }] })).rejects.toMatchObject({ code: 'FutureRev' });
    await expect(
      store.txn({ success: [put('a'), { type: 'txn', request: { success: [{ type: 'put', request: { key: b('n'), ignoreValue: true } }] } }] }),
    ).rejects.toMatchObject({ code: 'KeyNotFound' });
    expect(store.currentRevision()).toBe(1);
    expect(await store.range({ key: b('a') })).toMatchObject({ count: 0 });
    // The branch not taken is not checked.
    await expect(store.txn({ compare: [{ key: b('a'), version: 5 }], success: [put('b', 'v', 77)], failure: [put('a')] })).resolves.toMatchObject({ succeeded: false, revision: 2 });
  });

  it('a read-only txn needs no write slot and may run while a write is being applied', async () => {
    const { store } = await openStore();
    await store.put({ key: b('k'), value: b('1') });
    const writing = store.put({ key: b('k'), value: b('2') });
    const read = await store.txn({ success: [range('k')] });
    await writing;
    expect(read.revision).toBe(2);
    expect(store.currentRevision()).toBe(3);
  });
});
