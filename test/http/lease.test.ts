/** `/v3/lease/*` and etcd's `/v3/kv/lease/*` aliases, keepalive streaming included. */
import { afterAll, describe, expect, it } from 'vitest';
import { KvError } from '../../src/util/errors.js';
import { H } from '../api/examples.js';
import { newApp, post } from './helpers.js';

const { app, service } = newApp();
afterAll(() => app.close());

const error = (message: string, code: number) => JSON.stringify({ error: message, code, message });

describe('the reference lease session (§3)', () => {
  it('grant raises the TTL to the minimum; server-picked IDs; errors', async () => {
    expect((await post(app, '/v3/lease/grant', '{"TTL":"1","ID":"1000"}')).body).toBe(`{"header":${H(1)},"ID":"1000","TTL":"2"}`);
    const picked = JSON.parse((await post(app, '/v3/lease/grant', '{"TTL":"60"}')).body);
    expect(Number(picked.ID)).toBeGreaterThan(0);
    expect(picked.TTL).toBe('60');
    let res = await post(app, '/v3/lease/grant', '{"TTL":"60","ID":"1000"}');
    expect([res.statusCode, res.body]).toEqual([400, error('etcdserver: lease already exists', 9)]);
    res = await post(app, '/v3/lease/grant', '{"TTL":"99999999999"}');
    expect([res.statusCode, res.body]).toEqual([400, error('etcdserver: too large lease TTL', 11)]);
  });

  it('put with an unknown lease is 404; with a known one the key shows in timetolive', async () => {
    let res = await post(app, '/v3/kv/put', '{"key":"bGs=","value":"dg==","lease":"424242"}');
    expect([res.statusCode, res.body]).toEqual([404, error('etcdserver: requested lease not found', 5)]);
    await post(app, '/v3/kv/put', '{"key":"bGs=","value":"dg==","lease":"1000"}');
    for (const path of ['/v3/lease/timetolive', '/v3/kv/lease/timetolive']) {
      res = await post(app, path, '{"ID":"1000","keys":true}');
      expect(res.body).toBe(`{"header":${H(2)},"ID":"1000","TTL":"2","grantedTTL":"2","keys":["bGs="]}`);
    }
  });

  it('lists leases on both paths', async () => {
    for (const path of ['/v3/lease/leases', '/v3/kv/lease/leases']) {
      const res = JSON.parse((await post(app, path, '{}')).body);
      expect(res.leases[0]).toEqual({ ID: '1000' });
      expect(res.leases).toHaveLength(2);
    }
  });

  it('keepalive streams one result line per ID and ends with the body', async () => {
    let res = await post(app, '/v3/lease/keepalive', '{"ID":"1000"} {"ID":"1000"}');
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(`{"result":{"header":${H(2)},"ID":"1000","TTL":"2"}}\n{"result":{"header":${H(2)},"ID":"1000","TTL":"2"}}\n`);
    res = await post(app, '/v3/lease/keepalive', '{"ID":"12345"}');
    expect(res.body).toBe(`{"result":{"header":${H(2)},"ID":"12345"}}\n`);
    res = await post(app, '/v3/lease/keepalive', '');
    expect([res.statusCode, res.body]).toEqual([200, '']);
  });

  it('keepalive: a bad first message is a unary 500 code 2; a later one ends the stream', async () => {
    let res = await post(app, '/v3/lease/keepalive', '{"ID":x}');
    expect([res.statusCode, JSON.parse(res.body)]).toEqual([
      500,
      { error: "invalid character 'x' looking for beginning of value", code: 2, message: "invalid character 'x' looking for beginning of value" },
    ]);
    res = await post(app, '/v3/lease/keepalive', '{"ID":"1000"} {"ID":true} {"ID":"1000"}');
    expect(res.body.trim().split('\n')).toHaveLength(1);
  });

  it('keepalive: a service failure ends the stream with the error chunk', async () => {
    service.failNext('leaseKeepAlive', new KvError('NoLeader'));
    let res = await post(app, '/v3/lease/keepalive', '{"ID":"1000"}');
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body)).toEqual({
      error: { grpc_code: 14, http_code: 503, message: 'etcdserver: no leader', http_status: 'Service Unavailable' },
    });
    // After a first answer the status is already 200; the error chunk still ends the stream.
    const original = service.leaseKeepAlive.bind(service);
    let calls = 0;
    service.leaseKeepAlive = async (req) => {
      if (++calls === 2) throw new KvError('Stopped');
      return original(req);
    };
    res = await post(app, '/v3/lease/keepalive', '{"ID":"1000"}{"ID":"1000"}{"ID":"1000"}');
    service.leaseKeepAlive = original;
    const lines = res.body.split('\n');
    expect(res.statusCode).toBe(200);
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1]!).error.message).toBe('etcdserver: server stopped');
  });

  it('revoke deletes the lease and its keys, on both paths; again is 404; timetolive then says -1', async () => {
    let res = await post(app, '/v3/lease/revoke', '{"ID":"1000"}');
    expect(res.body).toBe(`{"header":${H(3)}}`);
    expect(service.store.live.size).toBe(0);
    res = await post(app, '/v3/kv/lease/revoke', '{"ID":"1000"}');
    expect([res.statusCode, res.body]).toEqual([404, error('etcdserver: requested lease not found', 5)]);
    res = await post(app, '/v3/lease/timetolive', '{"ID":"1000"}');
    expect(res.body).toBe(`{"header":${H(3)},"ID":"1000","TTL":"-1"}`);
  });
});
