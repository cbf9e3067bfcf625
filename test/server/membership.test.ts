import { describe, expect, it } from 'vitest';
import { Cluster, computeMemberId, decodeMember, encodeMember } from '../../src/server/membership.js';
import { MemoryBackend } from '../../src/storage/memory-backend.js';
import { isKvError } from '../../src/util/errors.js';
import { decodeRequest, encodeRequest, RequestIdGenerator } from '../../src/server/requests.js';
import { utf8 } from '../../src/util/bytes.js';

const initial = new Map([
  ['infra1', ['http://127.0.0.1:12380']],
  ['infra2', ['http://127.0.0.1:22380']],
  ['infra3', ['http://127.0.0.1:32380']],
]);

function expectCode(fn: () => void, code: Parameters<typeof isKvError>[1]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isKvError(caught, code)).toBe(true);
}

describe('Cluster', () => {
  it('derives stable IDs from URLs and token, different across tokens', () => {
    const a = Cluster.bootstrap(initial, 'tok');
    const b = Cluster.bootstrap(initial, 'tok');
    const c = Cluster.bootstrap(initial, 'other');
    expect(a.clusterId).toBe(b.clusterId);
    expect(a.list().map((m) => m.id)).toEqual(b.list().map((m) => m.id));
    expect(c.clusterId).not.toBe(a.clusterId);
    for (const m of a.list()) expect(Number.isSafeInteger(m.id) && m.id > 0).toBe(true);
    expect(computeMemberId(['http://b:1', 'http://a:1'], 't')).toBe(computeMemberId(['http://a:1', 'http://b:1'], 't'));
  });

  it('validates changes with etcd errors and never reuses a removed ID', () => {
    const cluster = Cluster.bootstrap(initial, 'tok');
    const [first] = cluster.list();
    if (first === undefined) throw new Error('no members');
    expectCode(() => cluster.validateAdd({ ...first }), 'MemberExists');
    expectCode(
      () => cluster.validateAdd({ id: 7, name: 'x', peerUrls: first.peerUrls, clientUrls: [], isLearner: false }),
      'PeerURLExists',
    );
    cluster.remove(first.id);
    expectCode(() => cluster.validateRemove(first.id), 'MemberNotFound');
    expectCode(() => cluster.validateAdd({ ...first, peerUrls: ['http://127.0.0.1:9'] }), 'MemberExists');
    expect(cluster.isRemoved(first.id)).toBe(true);
    cluster.add({ id: 8, name: 'l1', peerUrls: ['http://127.0.0.1:8'], clientUrls: [], isLearner: true });
    expectCode(
      () => cluster.validateAdd({ id: 9, name: 'l2', peerUrls: ['http://127.0.0.1:7'], clientUrls: [], isLearner: true }),
      'TooManyLearners',
    );
    const [voter] = cluster.voterIds();
    expectCode(() => cluster.validatePromote(voter as number), 'MemberNotLearner');
    cluster.validatePromote(8);
  });

  it('round-trips through the backend, removed IDs included', async () => {
    const backend = new MemoryBackend();
    const cluster = Cluster.bootstrap(initial, 'tok');
    const [gone] = cluster.list();
    await backend.write(cluster.allOps());
    await backend.write(cluster.remove((gone as { id: number }).id));
    const loaded = await Cluster.load(backend);
    expect(loaded?.clusterId).toBe(cluster.clusterId);
    expect(loaded?.list()).toEqual(cluster.list());
    expect(loaded?.isRemoved((gone as { id: number }).id)).toBe(true);
    expect(await Cluster.load(new MemoryBackend())).toBeUndefined();
  });

  it('rejects a malformed member record', () => {
    const good = { id: 1, name: 'a', peerUrls: [], clientUrls: [], isLearner: false };
    expect(decodeMember(encodeMember(good))).toEqual(good);
    expect(() => decodeMember(encodeMember({ ...good, name: 5 } as never))).toThrow(/malformed/);
  });
});

describe('internal requests', () => {
  it('round-trips every op and refuses garbage as corrupt storage', () => {
    const env = { id: 'a.1', request: { op: 'put' as const, request: { key: utf8('k'), value: utf8('v'), lease: 5 } } };
    const back = decodeRequest(encodeRequest(env));
    expect(back.id).toBe('a.1');
    expect(back.request).toMatchObject({ op: 'put' });
    expect(Array.from((back.request as { request: { key: Uint8Array } }).request.key)).toEqual(Array.from(utf8('k')));
    let caught: unknown;
    try {
      decodeRequest(new Uint8Array([0xc1, 0x00]));
    } catch (err) {
      caught = err;
    }
    expect(isKvError(caught, 'StorageCorrupt')).toBe(true);
    expect(() => decodeRequest(encodeRequest({ id: 'x', request: { op: 'nope' } as never }))).toThrow(/well-formed/);
  });

  it('generates distinct ids per member and per process', () => {
    const a = new RequestIdGenerator(0xabc, 1000);
    const b = new RequestIdGenerator(0xdef, 1000);
    const ids = new Set([a.next(), a.next(), b.next(), b.next()]);
    expect(ids.size).toBe(4);
    expect([...ids][0]?.startsWith('abc.')).toBe(true);
  });
});
