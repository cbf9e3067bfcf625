/**
 * etcd-auth-tls §9: every request kind, allowed and denied, for the fixture's users (alice: READ
 * foo, READWRITE prefix a/, WRITE [k1,k5), READ from z, READ [a0,a5); bob: READ foo).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../cluster-harness.js';
import { authApp, b64, brief, call, fixture } from './auth-harness.js';

let cluster: TestCluster;
let app: FastifyInstance;
let t: { root: string; alice: string; bob: string };
const DENIED: [number, string] = [403, 'etcdserver: permission denied'];
const OK: [number, undefined] = [200, undefined];

beforeAll(async () => {
  cluster = await startCluster(1, { bcryptCost: 4 });
  app = authApp(await cluster.leader());
  t = await fixture(app);
  for (const k of ['foo', 'b', 'a/1', 'k3']) expect(brief(await call(app, '/v3/kv/put', { key: b64(k), value: b64('v') }, t.root))).toEqual(OK);
});
afterAll(async () => {
  await app.close();
  await cluster.stopAll();
});

const range = (key: string, rangeEnd?: string, token = t.alice) =>
  call(app, '/v3/kv/range', { key: b64(key), ...(rangeEnd === undefined ? {} : { range_end: b64(rangeEnd) }) }, token).then(brief);

describe('the permission matrix (etcd-auth-tls §9)', () => {
  it('1, 2: no identity is 400 "user name is empty"; a bad or Bearer-less-garbage token is 401', async () => {
    expect(brief(await call(app, '/v3/kv/range', { key: b64('foo') }))).toEqual([400, 'etcdserver: user name is empty']);
    expect(brief(await call(app, '/v3/kv/put', { key: b64('foo'), value: b64('x') }))).toEqual([400, 'etcdserver: user name is empty']);
    expect(brief(await call(app, '/v3/kv/range', { key: b64('foo') }, 'nodot'))).toEqual([401, 'etcdserver: invalid auth token']);
    expect(brief(await call(app, '/v3/kv/range', { key: b64('foo') }, `Bearer ${t.alice}`))).toEqual(OK); // 3.5.32+
  });

  it('3-5: ranges need READ over the whole range, unions across roles count', async () => {
    expect(await range('foo')).toEqual(OK);
    expect(brief(await call(app, '/v3/kv/put', { key: b64('foo'), value: b64('x') }, t.alice))).toEqual(DENIED);
    expect(await range('a/', 'a0')).toEqual(OK);
    expect(await range('a/1', 'a0')).toEqual(OK);
    expect(await range('a', 'a0')).toEqual(DENIED);
    expect(await range('a/', 'a5')).toEqual(OK);
    expect(await range('a/', 'a6')).toEqual(DENIED);
    expect(await range('z', '\0')).toEqual(OK);
    expect(await range('y', '\0')).toEqual(DENIED);
  });

  it('6, 7: put and delete need WRITE; prev_kv needs READ too', async () => {
    const put = (key: string, extra: object = {}) => call(app, '/v3/kv/put', { key: b64(key), value: b64('v'), ...extra }, t.alice).then(brief);
    expect(await put('k3')).toEqual(OK);
    expect(await put('k5')).toEqual(DENIED);
    expect(await put('k3', { prev_kv: true })).toEqual(DENIED);
    expect(await range('k3')).toEqual(DENIED);
    const del = (key: string, rangeEnd?: string, extra: object = {}) =>
      call(app, '/v3/kv/deleterange', { key: b64(key), ...(rangeEnd ? { range_end: b64(rangeEnd) } : {}), ...extra }, t.alice).then(brief);
    expect(await del('k1', 'k5')).toEqual(OK);
    expect(await del('k1', 'k6')).toEqual(DENIED);
    expect(await del('a/1', undefined, { prev_kv: true })).toEqual(OK);
  });

  it('8-11: a txn is refused whole if any compare or op, in either branch or nested, is forbidden', async () => {
    const txn = (body: object) => call(app, '/v3/kv/txn', body, t.alice).then(brief);
    const putOp = (k: string, extra: object = {}) => ({ request_put: { key: b64(k), value: b64('t'), ...extra } });
    expect(await txn({ compare: [{ key: b64('a/1'), target: 'VERSION', result: 'GREATER', version: '0' }], success: [putOp('a/2')] })).toEqual(OK);
    expect(await txn({ compare: [{ key: b64('b'), target: 'VERSION', result: 'GREATER', version: '0' }], success: [putOp('a/2')] })).toEqual(DENIED);
    expect(await txn({ compare: [{ key: b64('a/1'), target: 'VERSION', result: 'GREATER', version: '0' }], success: [putOp('a/3')], failure: [putOp('b')] })).toEqual(DENIED);
    expect(await txn({ success: [{ request_txn: { success: [putOp('b')] } }] })).toEqual(DENIED);
    expect(await txn({ success: [{ request_txn: { success: [{ request_range: { key: b64('b') } }] } }] })).toEqual(DENIED);
    expect(await txn({ success: [putOp('k3', { prev_kv: true })] })).toEqual(DENIED);
    // Nothing of a refused txn applied: a/3 was in the refused one.
    expect((await call(app, '/v3/kv/range', { key: b64('a/3') }, t.root)).body['kvs']).toBeUndefined();
  });

  it('12-14: leases with keys: put onto, revoke and time-to-live keys need permission on those keys', async () => {
    const grant = await call(app, '/v3/lease/grant', { TTL: '60' }, t.root);
    const id = grant.body['ID'] as string;
    expect(brief(await call(app, '/v3/kv/put', { key: b64('b'), value: b64('v'), lease: id }, t.root))).toEqual(OK);
    expect(brief(await call(app, '/v3/kv/put', { key: b64('k2'), value: b64('v'), lease: id }, t.alice))).toEqual(DENIED);
    expect(brief(await call(app, '/v3/kv/txn', { success: [{ request_put: { key: b64('k2'), value: b64('v'), lease: id } }] }, t.alice))).toEqual(DENIED);
    expect(brief(await call(app, '/v3/lease/timetolive', { ID: id, keys: true }, t.alice))).toEqual(DENIED);
    expect(brief(await call(app, '/v3/lease/timetolive', { ID: id }, t.alice))).toEqual(OK);
    expect(brief(await call(app, '/v3/lease/revoke', { ID: id }, t.alice))).toEqual(DENIED);
    expect(brief(await call(app, '/v3/lease/leases', {}, t.alice))).toEqual(DENIED);
    expect(brief(await call(app, '/v3/lease/revoke', { ID: id }, t.root))).toEqual(OK);
    // A lease of alice's own keys is hers to revoke.
    const own = (await call(app, '/v3/lease/grant', { TTL: '60' }, t.alice)).body['ID'] as string;
    expect(brief(await call(app, '/v3/kv/put', { key: b64('a/9'), value: b64('v'), lease: own }, t.alice))).toEqual(OK);
    expect(brief(await call(app, '/v3/lease/revoke', { ID: own }, t.alice))).toEqual(OK);
  });

  it('15-17: cluster and maintenance calls: authenticated for reads, root for the rest', async () => {
    const empty: [number, string] = [400, 'etcdserver: user name is empty'];
    for (const path of ['/v3/lease/grant', '/v3/lease/leases', '/v3/kv/compaction', '/v3/cluster/member/list', '/v3/maintenance/status']) {
      expect(brief(await call(app, path, path.endsWith('grant') ? { TTL: '5' } : {})), path).toEqual(empty);
    }
    expect(brief(await call(app, '/v3/maintenance/alarm', { action: 'GET' }))).toEqual(empty);
    expect(brief(await call(app, '/v3/kv/compaction', { revision: '2' }, t.alice))).toEqual(DENIED);
    expect(brief(await call(app, '/v3/maintenance/alarm', { action: 'ACTIVATE', memberID: '1', alarm: 'NOSPACE' }, t.alice))).toEqual(DENIED);
    expect(brief(await call(app, '/v3/maintenance/transfer-leadership', { targetID: '2' }, t.alice))).toEqual(DENIED);
    expect(brief(await call(app, '/v3/cluster/member/add', { peerURLs: ['http://x:1'] }, t.alice))).toEqual(DENIED);
    expect(brief(await call(app, '/v3/maintenance/defragment', {}, t.alice))).toEqual([500, 'auth: permission denied']);
    expect(brief(await call(app, '/v3/maintenance/hash', {}, t.alice))).toEqual([500, 'auth: permission denied']);
    const snap = await app.inject({ method: 'POST', url: '/v3/maintenance/snapshot', payload: {}, headers: { authorization: t.alice } });
    expect(snap.body).toContain('auth: permission denied');
    expect(brief(await call(app, '/v3/cluster/member/list', {}, t.alice))).toEqual(OK);
    expect(brief(await call(app, '/v3/maintenance/alarm', { action: 'GET' }, t.alice))).toEqual(OK);
    expect(brief(await call(app, '/v3/maintenance/status', {}, t.alice))).toEqual(OK);
    expect(brief(await call(app, '/v3/maintenance/hash', {}, t.root))).toEqual(OK);
  });

  it('18: users see their own record and the roles they hold, nothing else', async () => {
    expect(brief(await call(app, '/v3/auth/user/get', { name: 'alice' }, t.alice))).toEqual(OK);
    expect(brief(await call(app, '/v3/auth/user/get', { name: 'bob' }, t.alice))).toEqual(DENIED);
    expect(brief(await call(app, '/v3/auth/role/get', { role: 'r1' }, t.alice))).toEqual(OK);
    expect(brief(await call(app, '/v3/auth/role/get', { role: 'root' }, t.alice))).toEqual(DENIED);
    expect(brief(await call(app, '/v3/auth/user/list', {}, t.alice))).toEqual(DENIED);
    expect(brief(await call(app, '/v3/auth/user/changepw', { name: 'alice', password: 'x' }, t.alice))).toEqual(DENIED);
    expect(brief(await call(app, '/v3/auth/disable', {}, t.alice))).toEqual(DENIED);
  });

  it('19: a watch over a partly forbidden range is created and canceled; the stream stays open', async () => {
    const lines = async (token: string, creates: object[]): Promise<Record<string, unknown>[]> => {
      const res = await app.inject({
        method: 'POST',
        url: '/v3/watch',
        headers: { authorization: token },
        payload: creates.map((c) => JSON.stringify({ create_request: c })).join('\n'),
        payloadAsStream: true,
      });
      const out: Record<string, unknown>[] = [];
      let buf = '';
      const stream = res.stream();
      for await (const chunk of stream) {
        buf += String(chunk);
        const parts = buf.split('\n');
        buf = parts.pop() ?? '';
        for (const p of parts) if (p.trim() !== '') out.push((JSON.parse(p) as { result: Record<string, unknown> }).result);
        if (out.length >= creates.length) break;
      }
      stream.destroy();
      return out;
    };
    const [ok, partly, open] = await lines(t.bob, [{ key: b64('foo') }, { key: b64('b') }, { key: b64('foo'), range_end: b64('\0') }]);
    expect(ok).toMatchObject({ created: true });
    expect(ok?.['canceled']).toBeUndefined();
    const denied = { watch_id: '-1', created: true, canceled: true, cancel_reason: 'rpc error: code = PermissionDenied desc = etcdserver: permission denied' };
    expect(partly).toMatchObject(denied);
    expect(open).toMatchObject(denied); // etcd 3.4.23 created this one (GHSA-xg4h-6gfc-h4m8)
  });

  it('29: a raised NOSPACE alarm changes no auth check (etcd 3.4/3.5 drop RBAC then, §10 #1)', async () => {
    const memberID = ((await call(app, '/v3/maintenance/status', {}, t.root)).body['header'] as { member_id: string }).member_id;
    const alarm = (action: string) => call(app, '/v3/maintenance/alarm', { action, memberID, alarm: 'NOSPACE' }, t.root).then(brief);
    expect(await alarm('ACTIVATE')).toEqual(OK);
    try {
      expect(brief(await call(app, '/v3/kv/deleterange', { key: b64('b') }, t.alice))).toEqual(DENIED);
      expect(brief(await call(app, '/v3/kv/deleterange', { key: b64('b') }))).toEqual([400, 'etcdserver: user name is empty']);
      expect(brief(await call(app, '/v3/auth/disable', {}, t.alice))).toEqual(DENIED);
      expect(brief(await call(app, '/v3/lease/revoke', { ID: '1' }))).toEqual([400, 'etcdserver: user name is empty']);
    } finally {
      expect(await alarm('DEACTIVATE')).toEqual(OK);
    }
  });

  it('the plain /kv/ API: Bearer token, 401 and 403 with WWW-Authenticate', async () => {
    const get = (key: string, auth?: string) => app.inject({ method: 'GET', url: `/kv/${key}`, headers: auth === undefined ? {} : { authorization: auth } });
    const anon = await get('foo');
    expect(anon.statusCode).toBe(401);
    expect(anon.headers['www-authenticate']).toBe('Bearer realm="cairn"');
    const bad = await get('foo', 'Bearer nope');
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['www-authenticate']).toContain('error="invalid_token"');
    const forbidden = await get('b', `Bearer ${t.bob}`);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.headers['www-authenticate']).toContain('insufficient_scope');
    expect((await get('foo', `Bearer ${t.bob}`)).statusCode).toBe(200);
    const put = await app.inject({ method: 'PUT', url: '/kv/foo', payload: 'x', headers: { authorization: `Bearer ${t.bob}` } });
    expect(put.statusCode).toBe(403);
    const sse = await get('b?watch', `Bearer ${t.bob}`);
    expect(sse.statusCode).toBe(403);
  });
});
