/** Every error path of the gateway: decoding, routing, limits and service failures (CORS: browser-guards.test.ts). */
import { afterAll, describe, expect, it } from 'vitest';
import { KvError } from '../../src/util/errors.js';
import { b64, MEMBER } from '../api/examples.js';
import { newApp, post } from './helpers.js';

const { app, service } = newApp({ maxRequestBytes: 1024 });
afterAll(() => app.close());

const body = (res: { body: string }) => JSON.parse(res.body) as { error: string; code: number; message: string };

describe('request decoding errors → 400 code 3 with the decoder text', () => {
  it.each([
    ['/v3/kv/range', '{bad', "invalid character 'b' looking for beginning of object key string"],
    ['/v3/kv/range', '{"key":"Zm9v', 'unexpected EOF'],
    ['/v3/kv/put', '{"key":"Zm9","value":"YmFy"}', 'illegal base64 data at input byte 0'],
    ['/v3/kv/put', '{"key":"Zm9v","value":"YmF_"}', 'illegal base64 data at input byte 3'],
    ['/v3/kv/range', '{"key":"Zm9v","sort_order":"X"}', 'unknown value "X" for enum etcdserverpb.RangeRequest_SortOrder'],
    ['/v3/kv/range', '{"key":"Zm9v","serializable":"true"}', 'json: cannot unmarshal string into Go value of type bool'],
    ['/v3/lease/grant', '{"TTL":1.5}', 'json: cannot unmarshal number 1.5 into Go value of type int64'],
    ['/v3/maintenance/alarm', '{"action":"BOOM"}', 'unknown value "BOOM" for enum etcdserverpb.AlarmRequest_AlarmAction'],
  ])('%s %s', async (url, payload, message) => {
    const res = await post(app, url, payload);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe('application/json');
    // etcd 3.5's key order: error, code, message.
    expect(res.body).toBe(JSON.stringify({ error: message, code: 3, message }));
  });
});

describe('deeply nested JSON (issue 15 item 6)', () => {
  it('answers 400 with Go\'s max-depth text, not 500 "Maximum call stack size exceeded"', async () => {
    const nested = `{"key":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const message = "invalid character '[' exceeded max depth";
    const unary = await post(app, '/v3/kv/range', nested);
    expect([unary.statusCode, unary.body]).toEqual([400, JSON.stringify({ error: message, code: 3, message })]);
    // A stream's first message fails as grpc-gateway fails it (etcd 3.4 answers exactly this).
    const stream = await post(app, '/v3/watch', `{"create_request":${nested}}`);
    expect([stream.statusCode, stream.body]).toEqual([500, JSON.stringify({ error: message, code: 2, message })]);
  });
});

describe('routing (§1.1)', () => {
  it('answers a wrong method on a gateway path with Go\'s 405 text', async () => {
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const res = await app.inject({ method, url: '/v3/kv/range' });
      expect([res.statusCode, res.body, res.headers['content-type']]).toEqual([405, 'Method Not Allowed\n', 'text/plain; charset=utf-8']);
    }
    expect((await app.inject({ method: 'GET', url: '/v3/watch' })).statusCode).toBe(405);
    expect((await app.inject({ method: 'GET', url: '/v3/kv/lease/revoke' })).statusCode).toBe(405);
  });

  it('serves every path of the catalogue (and etcd\'s aliases) as JSON', async () => {
    const { STREAMING, UNARY } = await import('../../src/api/rpcs.js');
    for (const rpc of [...Object.values(UNARY), ...Object.values(STREAMING)]) {
      for (const path of [rpc.path, ...rpc.aliases]) {
        const res = path === '/v3/watch' ? undefined : await post(app, path, '{"ID":"1"}');
        if (res === undefined) continue;
        // Routing failures are text/plain; anything the RPC answers (even a 404 lease) is JSON.
        expect([path, res.headers['content-type']]).toEqual([path, 'application/json']);
        expect((await app.inject({ method: 'GET', url: path })).statusCode).toBe(405);
      }
    }
  });

  it('answers unknown paths with 404 text, /v3alpha included; rewrites /v3beta', async () => {
    for (const url of ['/v3/kv/nothing', '/v3alpha/kv/range', '/v3/maintenance/hashkvx']) {
      const res = await post(app, url, '{}');
      expect([res.statusCode, res.body]).toEqual([404, url.startsWith('/v3/') ? 'Not Found\n' : '404 page not found\n']);
    }
    expect((await post(app, '/v3beta/kv/nothing')).body).toBe('Not Found\n');
    expect((await app.inject({ method: 'GET', url: '/v3beta/kv/range' })).statusCode).toBe(405);
    const res = await post(app, '/v3beta/kv/put', { key: b64('beta'), value: b64('1') });
    expect(res.statusCode).toBe(200);
    expect(service.store.live.size).toBe(1);
  });

  it('answers auth (without a caller service) and downgrade as an unregistered gRPC service: 501 code 12', async () => {
    for (const [url, message] of [
      ['/v3/auth/authenticate', 'unknown service etcdserverpb.Auth'],
      ['/v3/auth/user/add', 'unknown service etcdserverpb.Auth'],
      ['/v3/maintenance/downgrade', 'unknown method Downgrade for service etcdserverpb.Maintenance'],
    ] as const) {
      const res = await post(app, url, '{}');
      expect([res.statusCode, body(res)]).toEqual([501, { error: message, code: 12, message }]);
    }
  });

  it('answers a URL the router cannot decode with Go\'s plain 400', async () => {
    const res = await post(app, '/v3/kv/%zz', '{}');
    expect([res.statusCode, res.body]).toEqual([400, 'Bad Request\n']);
  });
});

describe('size limits (--max-request-bytes 1024 here)', () => {
  it('refuses a proposal above max-request-bytes: 400 "etcdserver: request is too large"', async () => {
    const res = await post(app, '/v3/kv/put', { key: b64('big'), value: Buffer.alloc(1000).toString('base64') });
    expect([res.statusCode, body(res)]).toEqual([
      400,
      { error: 'etcdserver: request is too large', code: 3, message: 'etcdserver: request is too large' },
    ]);
    const txn = { success: [{ request_put: { key: b64('big'), value: Buffer.alloc(1000).toString('base64') } }] };
    expect(body(await post(app, '/v3/kv/txn', txn)).message).toBe('etcdserver: request is too large');
    const small = await post(app, '/v3/kv/put', { key: b64('small'), value: Buffer.alloc(900).toString('base64') });
    expect(small.statusCode).toBe(200);
  });

  it('lets reads through up to the gRPC limit (they are not proposals)', async () => {
    const key = Buffer.alloc(5000, 'k').toString('base64');
    expect((await post(app, '/v3/kv/range', { key })).statusCode).toBe(200);
    const txn = { success: [{ request_range: { key } }] };
    expect((await post(app, '/v3/kv/txn', txn)).statusCode).toBe(200);
  });

  it('refuses a message above max-request-bytes + 512 KiB: 429 code 8, gRPC\'s text', async () => {
    const limit = 1024 + 512 * 1024;
    const res = await post(app, '/v3/kv/range', { key: Buffer.alloc(limit).toString('base64') });
    expect(res.statusCode).toBe(429);
    expect(body(res).code).toBe(8);
    expect(body(res).message).toBe(`grpc: received message larger than max (${limit + 4} vs. ${limit})`);
  });

  it('bounds a streamed message too (the first one fails unary-style, code 2)', async () => {
    const res = await post(app, '/v3/lease/keepalive', `{"ID":"${' '.repeat(4 * (1024 + 512 * 1024) + 1)}`);
    expect([res.statusCode, body(res).code]).toEqual([500, 2]);
    expect(body(res).message).toMatch(/^grpc: received message larger than max \(\d+ vs\. 2101248\)$/);
  });

  it('stops reading a body far beyond any legitimate size', async () => {
    const res = await post(app, '/v3/kv/range', ' '.repeat(4 * (1024 + 512 * 1024) + 1));
    expect([res.statusCode, body(res).code]).toEqual([429, 8]);
    expect(res.headers['connection']).toBe('close');
  });
});

describe('service errors keep their etcd code and status', () => {
  it.each([
    ['NoLeader', 503, 14],
    ['NoSpace', 429, 8],
    ['Timeout', 503, 14],
    ['Corrupt', 500, 15],
    ['NotLeader', 400, 9],
    ['LeaseNotFound', 404, 5],
    ['Canceled', 408, 1],
  ] as const)('%s → %i code %i', async (code, status, grpc) => {
    service.failNext('range', new KvError(code));
    const res = await post(app, '/v3/kv/range', '{"key":"Zm9v"}');
    expect([res.statusCode, body(res).code, body(res).error]).toEqual([status, grpc, new KvError(code).message]);
  });

  it('answers Grpc-Metadata-Hasleader: true with 503 "no leader" while there is none', async () => {
    const headers = { 'grpc-metadata-hasleader': 'true' };
    expect((await post(app, '/v3/kv/range', '{"key":"Zm9v"}', headers)).statusCode).toBe(200);
    service.leader = 0n;
    try {
      const res = await post(app, '/v3/kv/range', '{"key":"Zm9v"}', headers);
      expect([res.statusCode, body(res)]).toEqual([503, { error: 'etcdserver: no leader', code: 14, message: 'etcdserver: no leader' }]);
      expect((await post(app, '/v3/kv/range', '{"key":"Zm9v"}')).statusCode).toBe(200);
    } finally {
      service.leader = MEMBER;
    }
  });

  it('reports an unexpected failure as code 2 with its text', async () => {
    service.failNext('put', new Error('disk on fire'));
    const res = await post(app, '/v3/kv/put', { key: b64('x') });
    expect([res.statusCode, body(res)]).toEqual([500, { error: 'disk on fire', code: 2, message: 'disk on fire' }]);
  });
});
