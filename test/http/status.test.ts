/** `/health` (etcd 3.5 shape and checks), `/version`, `/metrics`. */
import { Counter, Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { KvError } from '../../src/util/errors.js';
import { MEMBER } from '../api/examples.js';
import { newApp } from './helpers.js';

const registry = new Registry();
const proposals = new Counter({ name: 'etcd_server_proposals_committed_total', help: 'committed proposals', registers: [registry] });
const { app, service } = newApp({ registry, version: { etcdserver: '3.5.17', etcdcluster: '3.5.0' }, healthTimeoutMs: 100 });
afterAll(() => app.close());

const health = async (url = '/health') => {
  const res = await app.inject({ method: 'GET', url });
  return [res.statusCode, res.body, res.headers['content-type']];
};

describe('/health', () => {
  it('is healthy with a leader, no alarm and a working read', async () => {
    expect(await health()).toEqual([200, '{"health":"true","reason":""}', 'application/json']);
  });

  it('is 503 with an active alarm, no leader, or a failing read', async () => {
    service.alarms = [{ memberId: MEMBER, alarm: 'NOSPACE' }];
    expect((await health()).slice(0, 2)).toEqual([503, '{"health":"false","reason":"ALARM NOSPACE"}']);
    service.alarms = [];
    service.leader = 0n;
    expect((await health()).slice(0, 2)).toEqual([503, '{"health":"false","reason":"RAFT NO LEADER"}']);
    service.leader = MEMBER;
    service.failNext('range', new KvError('Timeout'));
    expect((await health()).slice(0, 2)).toEqual([503, '{"health":"false","reason":"QGET ERROR:etcdserver: request timed out"}']);
  });

  it('gives up on a check that hangs', async () => {
    const original = service.range.bind(service);
    service.range = () => new Promise(() => undefined);
    const [status, body] = await health('/health?serializable=true');
    service.range = original;
    expect([status, body]).toEqual([503, '{"health":"false","reason":"QGET ERROR:context deadline exceeded"}']);
  });
});

describe('/version and /metrics', () => {
  it('reports the configured versions', async () => {
    const res = await app.inject({ method: 'GET', url: '/version' });
    expect(res.body).toBe('{"etcdserver":"3.5.17","etcdcluster":"3.5.0"}');
  });

  it('serves the registry in Prometheus text format', async () => {
    proposals.inc(3);
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(registry.contentType);
    expect(res.body).toContain('etcd_server_proposals_committed_total 3');
  });

  it('has no /metrics without a registry', async () => {
    const { app: bare } = newApp();
    expect((await bare.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    await bare.close();
  });
});
