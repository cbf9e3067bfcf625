import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { MemberService } from '../../src/server/service.js';
import { startCluster, type TestCluster } from './cluster-harness.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('a real member behind the etcd gateway', () => {
  it('answers put, range and txn with etcd headers and sub-response headers', async () => {
    cluster = await startCluster(1);
    const member = await cluster.leader();
    const app = buildApp({ service: new MemberService(member), registry: member.metrics.registry });
    try {
      const put = await app.inject({ method: 'POST', url: '/v3/kv/put', payload: { key: b64('foo'), value: b64('bar') } });
      expect(put.statusCode).toBe(200);
      const header = put.json().header;
      expect(header).toMatchObject({ revision: '2', cluster_id: String(member.cluster.clusterId), member_id: String(member.id) });
      expect(Number(header.raft_term)).toBeGreaterThan(0);

      const range = await app.inject({ method: 'POST', url: '/v3/kv/range', payload: { key: b64('foo') } });
      expect(range.json().kvs).toEqual([{ key: b64('foo'), create_revision: '2', mod_revision: '2', version: '1', value: b64('bar') }]);

      const txn = await app.inject({
        method: 'POST',
        url: '/v3/kv/txn',
        payload: {
          compare: [{ key: b64('foo'), result: 'EQUAL', target: 'VALUE', value: b64('bar') }],
          success: [{ request_put: { key: b64('foo'), value: b64('baz') } }, { request_range: { key: b64('foo') } }],
        },
      });
      const body = txn.json();
      expect(body.succeeded).toBe(true);
      expect(body.header.revision).toBe('3');
      expect(body.responses[0]).toEqual({ response_put: { header: { revision: '3' } } });
      expect(body.responses[1].response_range.kvs[0].value).toBe(b64('baz'));

      const compacted = await app.inject({ method: 'POST', url: '/v3/kv/compaction', payload: { revision: '3', physical: true } });
      expect(compacted.statusCode).toBe(200);
      const old = await app.inject({ method: 'POST', url: '/v3/kv/range', payload: { key: b64('foo'), revision: '2' } });
      expect(old.statusCode).toBe(400);
      expect(old.json()).toMatchObject({ error: 'etcdserver: mvcc: required revision has been compacted', code: 11 });

      const metrics = await app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/etcd_server_has_leader 1/);
      const health = await app.inject({ method: 'GET', url: '/health' });
      expect(health.json()).toEqual({ health: 'true', reason: '' });
    } finally {
      await app.close();
    }
  });
});
