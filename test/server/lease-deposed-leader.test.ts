/**
 * etcd issue 15247 (fixed in etcd 3.5.13): a leader cut off from the cluster still believes it
 * leads until CheckQuorum steps it down, and used to renew keep-alives on that belief alone —
 * its client heard "your lease lives" while the new leader let the lease expire. A keep-alive
 * now renews only after a heartbeat quorum confirmed the leadership.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import type { Member } from '../../src/server/member.js';
import { MemberService } from '../../src/server/service.js';
import { eventually, startCluster, type TestCluster } from './cluster-harness.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('lease keep-alive on a deposed leader (etcd 15247)', () => {
  it('fails on the partitioned old leader while the lease expires on the new one', async () => {
    cluster = await startCluster(3);
    const old = await cluster.leader();
    const app = buildApp({ service: new MemberService(old), registry: old.metrics.registry });
    const keepAlive = async () => {
      const res = await app.inject({ method: 'POST', url: '/v3/lease/keepalive', payload: JSON.stringify({ ID: String(lease.id) }) });
      return { status: res.statusCode, body: JSON.parse(res.body.trim().split('\n')[0] as string) };
    };
    const lease = await old.leases.grant(0, 1);
    await old.put({ key: utf8('lock'), value: utf8('held'), lease: lease.id });
    // Before the partition a keep-alive is confirmed and renews.
    expect(await keepAlive()).toMatchObject({ status: 200, body: { result: { TTL: '1' } } });

    cluster.network.isolate(old.id);
    // At once, while the old leader still believes it leads: it must not renew.
    const first = await keepAlive();
    expect(first).toEqual({
      status: 503,
      body: { error: { grpc_code: 14, http_code: 503, message: 'etcdserver: no leader', http_status: 'Service Unavailable' } },
    });

    const others = [...cluster.members.values()].filter((m) => m !== old);
    const next = await eventually(() => {
      const m = others.find((o) => o.isLeader);
      if (m === undefined) throw new Error('no new leader yet');
      return m;
    });
    // The client keeps trying the old leader every 200 ms; not one renewal may succeed there,
    // and the lease (and its key) must go on the new leader within its TTL and the promotion's
    // extension by an election timeout.
    const renewedOnOld: unknown[] = [];
    const keeping = setInterval(() => {
      void keepAlive().then((r) => r.status === 200 && renewedOnOld.push(r.body));
    }, 200);
    try {
      await eventually(async () => {
        expect(next.leases.list()).not.toContain(lease.id);
        expect((await next.range({ key: utf8('lock') })).kvs).toEqual([]);
      }, 5000);
    } finally {
      clearInterval(keeping);
    }
    expect(renewedOnOld).toEqual([]);
    await app.close();
  });

  it('still renews on a leader that confirms its leadership; a follower refuses to renew on its own', async () => {
    cluster = await startCluster(3);
    const leader: Member = await cluster.leader();
    const lease = await leader.leases.grant(0, 2);
    expect(await leader.leases.renew(lease.id)).toBe(2);
    // A member that is not leader refuses to renew on its own.
    const follower = [...cluster.members.values()].find((m) => m !== leader) as Member;
    await expect(follower.leases.renew(lease.id)).rejects.toMatchObject({ code: 'NotLeader' });
  });
});
