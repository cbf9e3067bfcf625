/** The plain key API: raw bodies, ETag/If-Match on mod_revision, prefix listings, leases, byte keys. */
import { afterAll, describe, expect, it } from 'vitest';
import { KvError } from '../../src/util/errors.js';
import { newApp, post } from './helpers.js';

const { app, service } = newApp({ maxRequestBytes: 4096 });
afterAll(() => app.close());

const put = (url: string, payload: string | Buffer, headers: Record<string, string> = {}) =>
  app.inject({ method: 'PUT', url, payload, headers: { 'content-type': 'text/plain', ...headers } });
const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });
const del = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'DELETE', url, headers });

describe('plain key API', () => {
  it('PUT creates (201) then updates (204); GET returns the raw value with ETag = mod_revision', async () => {
    let res = await put('/kv/greeting', 'hello');
    expect([res.statusCode, res.headers['etag'], res.headers['x-cairn-revision']]).toEqual([201, '"2"', '2']);
    res = await put('/kv/greeting', 'hello again');
    expect([res.statusCode, res.headers['etag']]).toEqual([204, '"3"']);
    res = await get('/kv/greeting');
    expect([res.statusCode, res.body, res.headers['content-type']]).toEqual([200, 'hello again', 'application/octet-stream']);
    expect(res.headers).toMatchObject({ etag: '"3"', 'x-cairn-create-revision': '2', 'x-cairn-version': '2', 'x-cairn-lease': '0', 'x-cairn-revision': '3' });
    res = await get('/kv/greeting', { 'if-none-match': '"3"' });
    expect(res.statusCode).toBe(304);
    res = await get('/kv/greeting?rev=2');
    expect(res.body).toBe('hello');
  });

  it('keeps any bytes in keys (percent-encoded) and values', async () => {
    const value = Buffer.from([0, 255, 10, 13]);
    expect((await put('/kv/%FF%00a%2Fb', value, { 'content-type': 'application/octet-stream' })).statusCode).toBe(201);
    const range = JSON.parse((await post(app, '/v3/kv/range', { key: Buffer.from([0xff, 0, 0x61, 0x2f, 0x62]).toString('base64') })).body);
    expect(Buffer.from(range.kvs[0].value, 'base64').equals(value)).toBe(true);
    const res = await get('/kv/%ff%00a/b');
    expect(res.rawPayload.equals(value)).toBe(true);
    expect((await get('/kv/%zz')).statusCode).toBe(400);
  });

  it('answers a missing key with 404 and an empty key with 400', async () => {
    let res = await get('/kv/nope');
    expect([res.statusCode, JSON.parse(res.body)]).toEqual([404, { error: 'cairn: key not found', code: 5, message: 'cairn: key not found' }]);
    res = await get('/kv/');
    expect([res.statusCode, JSON.parse(res.body).error]).toEqual([400, 'etcdserver: key is not provided']);
    res = await put('/kv/', 'x');
    expect(res.statusCode).toBe(400);
  });

  it('If-Match compare-and-swaps on mod_revision; 412 with the current ETag on mismatch', async () => {
    let res = await put('/kv/cas', 'v1', { 'if-match': '"0"' });
    expect(res.statusCode).toBe(201);
    const etag = res.headers['etag'] as string;
    res = await put('/kv/cas', 'v2', { 'if-match': '"1"' });
    expect([res.statusCode, res.headers['etag'], JSON.parse(res.body).code]).toEqual([412, etag, 9]);
    expect(JSON.parse(res.body).error).toBe(`cairn: precondition failed: mod_revision is ${etag.replaceAll('"', '')}`);
    res = await put('/kv/cas', 'v2', { 'if-match': etag });
    expect(res.statusCode).toBe(204);
    expect((await get('/kv/cas')).body).toBe('v2');
    res = await put('/kv/cas', 'v3', { 'if-none-match': '*' });
    expect(res.statusCode).toBe(412);
    res = await put('/kv/fresh', 'v', { 'if-none-match': '*' });
    expect(res.statusCode).toBe(201);
    res = await put('/kv/absent', 'v', { 'if-match': '*' });
    expect([res.statusCode, res.headers['etag']]).toEqual([412, '"0"']);
    res = await put('/kv/cas', 'v', { 'if-match': 'yesterday' });
    expect(res.statusCode).toBe(400);
  });

  it('DELETE: 204, then 404; If-Match guards it', async () => {
    await put('/kv/doomed', 'x');
    const etag = (await get('/kv/doomed')).headers['etag'] as string;
    let res = await del('/kv/doomed', { 'if-match': '"1"' });
    expect(res.statusCode).toBe(412);
    res = await del('/kv/doomed', { 'if-match': etag });
    expect(res.statusCode).toBe(204);
    res = await del('/kv/doomed');
    expect(res.statusCode).toBe(404);
  });

  it('?prefix lists and deletes as gateway JSON', async () => {
    for (const k of ['dir/a', 'dir/b', 'dir0']) await put(`/kv/${k}`, k);
    let res = await get('/kv/dir/?prefix');
    const listed = JSON.parse(res.body);
    expect(listed.kvs.map((kv: { key: string }) => Buffer.from(kv.key, 'base64').toString())).toEqual(['dir/a', 'dir/b']);
    expect(listed.count).toBe('2');
    res = await get('/kv/dir/?prefix&limit=1');
    expect([JSON.parse(res.body).kvs.length, JSON.parse(res.body).more]).toEqual([1, true]);
    res = await get('/kv/?prefix');
    expect(Number(JSON.parse(res.body).count)).toBe(service.store.live.size);
    res = await del('/kv/dir/?prefix');
    expect(JSON.parse(res.body).deleted).toBe('2');
    expect((await get('/kv/dir0')).statusCode).toBe(200);
  });

  it('?lease attaches a lease; an unknown lease is 404 code 5; a bad one 400', async () => {
    await post(app, '/v3/lease/grant', '{"TTL":"30","ID":"77"}');
    let res = await put('/kv/leased?lease=77', 'x');
    expect(res.statusCode).toBe(201);
    expect((await get('/kv/leased')).headers['x-cairn-lease']).toBe('77');
    res = await put('/kv/leased?lease=78', 'x');
    expect([res.statusCode, JSON.parse(res.body).code]).toEqual([404, 5]);
    res = await put('/kv/leased?lease=abc', 'x');
    expect(res.statusCode).toBe(400);
    await post(app, '/v3/lease/revoke', '{"ID":"77"}');
    expect((await get('/kv/leased')).statusCode).toBe(404);
  });

  it('refuses a value above max-request-bytes as etcd does', async () => {
    const res = await put('/kv/big', Buffer.alloc(5000), { 'content-type': 'application/octet-stream' });
    expect([res.statusCode, JSON.parse(res.body).error]).toEqual([400, 'etcdserver: request is too large']);
  });

  it('maps service errors to etcd bodies', async () => {
    service.failNext('put', new KvError('NoLeader'));
    const res = await put('/kv/x', 'y');
    expect([res.statusCode, JSON.parse(res.body).error]).toEqual([503, 'etcdserver: no leader']);
  });
});
