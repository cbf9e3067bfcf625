/**
 * What a web page can do to a member (issue 16): CORS (--cors, none by default) refuses a
 * foreign Origin before any route runs, and the Host check (--host-whitelist) refuses DNS
 * rebinding. curl, which sends neither a foreign Origin nor a foreign Host, is unaffected.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { effectiveHostWhitelist, HOST_REFUSED_BODY, hostWithoutPort, LOOPBACK_HOSTS } from '../../src/http/host-check.js';
import { ORIGIN_REFUSED } from '../../src/http/cors.js';
import { b64 } from '../api/examples.js';
import { newApp } from './helpers.js';

const CORS_HEADERS = {
  'access-control-allow-methods': 'POST, GET, OPTIONS, PUT, DELETE',
  'access-control-allow-headers': 'accept, content-type, authorization',
};
const put = { key: b64('secret'), value: b64('pwned') };
const range = { key: b64('secret') };

describe('CORS: no --cors (the default)', () => {
  const { app, service } = newApp({ hostWhitelist: LOOPBACK_HOSTS });
  afterAll(() => app.close());

  it('refuses a cross-site text/plain POST with 403 before it touches the store', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v3/kv/put',
      payload: JSON.stringify(put),
      headers: { origin: 'http://evil.example', 'content-type': 'text/plain' },
    });
    expect([res.statusCode, res.body]).toEqual([403, `${ORIGIN_REFUSED}\n`]);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const plain = await app.inject({ method: 'PUT', url: '/kv/secret', payload: 'pwned', headers: { origin: 'http://evil.example' } });
    expect(plain.statusCode).toBe(403);
    const after = await app.inject({ method: 'POST', url: '/v3/kv/range', payload: JSON.stringify(range) });
    expect(JSON.parse(after.body)).not.toHaveProperty('kvs');
    expect(service.store.revision).toBe(1);
  });

  it('answers a curl-like request (no Origin) without CORS headers', async () => {
    const res = await app.inject({ method: 'POST', url: '/v3/kv/put', payload: JSON.stringify(put), headers: { host: '127.0.0.1:2379' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves a page of the member itself (Origin is its own scheme://host:port)', async () => {
    const res = await app.inject({ method: 'POST', url: '/v3/kv/range', payload: JSON.stringify(range), headers: { host: 'localhost:2379', origin: 'http://localhost:2379' } });
    expect(res.statusCode).toBe(200);
    const other = await app.inject({ method: 'POST', url: '/v3/kv/range', payload: JSON.stringify(range), headers: { host: 'localhost:2379', origin: 'http://localhost:8080' } });
    expect(other.statusCode).toBe(403);
  });
});

describe('CORS: same-origin needs a checked Host', () => {
  it('refuses a rebinding page that is "same-origin" with itself when any Host is accepted (--host-whitelist *)', async () => {
    const { app, service } = newApp({ hostWhitelist: ['*'] });
    const res = await app.inject({ method: 'POST', url: '/v3/kv/put', payload: JSON.stringify(put), headers: { host: 'evil.example:2379', origin: 'http://evil.example:2379' } });
    expect(res.statusCode).toBe(403);
    expect(service.store.revision).toBe(1);
    await app.close();
  });
});

describe('CORS: --cors names origins', () => {
  const { app } = newApp({ cors: ['http://a.example:8080', 'https://b.example'] });
  afterAll(() => app.close());

  it('echoes an allowed origin with the allow headers, on OPTIONS and on the request', async () => {
    for (const method of ['OPTIONS', 'POST'] as const) {
      const res = await app.inject({ method, url: '/v3/kv/range', payload: JSON.stringify(range), headers: { origin: 'http://a.example:8080' } });
      expect(res.statusCode).toBe(200);
      expect(res.headers).toMatchObject({ 'access-control-allow-origin': 'http://a.example:8080', vary: 'Origin', ...CORS_HEADERS });
    }
    // https://b.example:443 is the origin https://b.example.
    const res = await app.inject({ method: 'POST', url: '/v3/kv/range', payload: JSON.stringify(range), headers: { origin: 'https://b.example' } });
    expect(res.headers['access-control-allow-origin']).toBe('https://b.example');
  });

  it('refuses an origin not listed, preflight included', async () => {
    for (const method of ['OPTIONS', 'POST'] as const) {
      const res = await app.inject({ method, url: '/v3/kv/put', payload: JSON.stringify(put), headers: { origin: 'http://a.example:8081' } });
      expect(res.statusCode).toBe(403);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('--cors * allows any origin, only when given', async () => {
    const { app: any } = newApp({ cors: ['*'] });
    const res = await any.inject({ method: 'POST', url: '/v3/kv/range', payload: JSON.stringify(range), headers: { origin: 'http://anything.example' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ 'access-control-allow-origin': '*', ...CORS_HEADERS });
    await any.close();
  });
});

describe('Host check (--host-whitelist)', () => {
  const warnings: string[] = [];
  const { app, service } = newApp({ hostWhitelist: LOOPBACK_HOSTS, warn: (_f, msg) => warnings.push(msg) });
  afterAll(() => app.close());

  it('refuses a rebinding Host with etcd\'s 421 text on every path, store untouched', async () => {
    for (const url of ['/v3/kv/put', '/health', '/version', '/kv/secret']) {
      const res = await app.inject({ method: url === '/v3/kv/put' ? 'POST' : 'GET', url, payload: JSON.stringify(put), headers: { host: 'evil.example:2379' } });
      expect([url, res.statusCode, res.body]).toEqual([url, 421, HOST_REFUSED_BODY]);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    }
    expect(service.store.revision).toBe(1);
    expect(warnings[0]).toBe('rejecting HTTP request from "evil.example:2379" to prevent DNS rebinding attacks');
    expect(warnings).toHaveLength(1); // throttled
  });

  it('accepts loopback names with any port', async () => {
    for (const host of ['localhost', 'localhost:2379', '127.0.0.1:1', '[::1]:2379', 'LOCALHOST:9']) {
      const res = await app.inject({ method: 'GET', url: '/version', headers: { host } });
      expect([host, res.statusCode]).toEqual([host, 200]);
    }
  });

  it('defaults to loopback names only for an all-loopback member; --host-whitelist wins', () => {
    expect(effectiveHostWhitelist([], ['http://127.0.0.1:2379', 'http://[::1]:2379', 'http://localhost:1'])).toEqual(LOOPBACK_HOSTS);
    expect(effectiveHostWhitelist([], ['http://127.0.0.1:2379', 'http://10.0.0.5:2379'])).toEqual(['*']);
    expect(effectiveHostWhitelist(['db.example'], ['http://127.0.0.1:2379'])).toEqual(['db.example']);
    expect(hostWithoutPort('[::1]:2379')).toBe('::1');
    expect(hostWithoutPort('Db.Example:80')).toBe('db.example');
  });
});
