import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { AppliedUnreadableError, Client, compare, op, OutcomeUnknownError } from '../../src/client/index.js';
import { buildApp } from '../../src/http/app.js';
import { MemberService } from '../../src/server/service.js';
import { fromUtf8 } from '../../src/util/bytes.js';
import { isKvError } from '../../src/util/errors.js';
import { startCluster, type TestCluster } from '../server/cluster-harness.js';
import { freePort } from '../e2e/processes.js';

let cluster: TestCluster | undefined;
const apps = new Map<string, FastifyInstance>();

afterEach(async () => {
  for (const app of apps.values()) await app.close();
  apps.clear();
  await cluster?.stopAll();
  cluster = undefined;
});

/** Every member behind its own gateway on 127.0.0.1:0; returns the URLs in member order. */
async function serveAll(c: TestCluster): Promise<string[]> {
  const urls: string[] = [];
  for (const name of c.names) {
    const member = c.members.get(name)!;
    const app = buildApp({ service: new MemberService(member) });
    urls.push(await app.listen({ host: '127.0.0.1', port: 0 }));
    apps.set(name, app);
  }
  return urls;
}

describe('Client', () => {
  it('puts, gets, runs a built txn and a lease through the gateway', async () => {
    cluster = await startCluster(1);
    await cluster.leader();
    const [url] = await serveAll(cluster);
    const client = new Client({ endpoints: [url as string] });
    await client.put({ key: new TextEncoder().encode('a'), value: new TextEncoder().encode('1') });
    expect(fromUtf8((await client.get('a'))!.value)).toBe('1');
    const txn = await client.txnBuilder().if(compare.value('a', '=', '1')).then(op.put('a', '2'), op.get('a')).else(op.get('a')).commit();
    expect(txn.succeeded).toBe(true);
    const ranged = txn.responses[1];
    expect(ranged?.type === 'range' && fromUtf8(ranged.response.kvs[0]!.value)).toBe('2');
    const grant = await client.leaseGrant({ ttl: 60 });
    await client.put({ key: new TextEncoder().encode('l'), value: new TextEncoder().encode('x'), lease: grant.id });
    const ka = await client.leaseKeepAlive({ id: grant.id });
    expect(ka.ttl).toBe(60);
    expect((await client.leaseTimeToLive({ id: grant.id, keys: true })).keys?.map(fromUtf8)).toEqual(['l']);
    expect((await client.getPrefix('')).map((kv) => fromUtf8(kv.key))).toEqual(['a', 'l']);
    await expect(client.put({ key: new Uint8Array(0), value: new Uint8Array(0) })).rejects.toSatisfy((e: unknown) => isKvError(e, 'EmptyKey'));
  });

  it('fails over to a live endpoint for reads and for writes never sent', async () => {
    cluster = await startCluster(3);
    await cluster.leader();
    const urls = await serveAll(cluster);
    // A port nothing listens on: connections are refused, so the request was never sent.
    const dead = `http://127.0.0.1:${await freePort()}`;
    const client = new Client({ endpoints: [dead, ...urls] });
    await client.put({ key: new TextEncoder().encode('f'), value: new TextEncoder().encode('ok') });
    expect(fromUtf8((await client.get('f'))!.value)).toBe('ok');
  });

  it('reports a write whose outcome is unknown instead of retrying it', async () => {
    const { createServer } = await import('node:http');
    // A server that accepts the request and never answers: the write may have been applied.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const client = new Client({ endpoints: [`http://127.0.0.1:${port}`], timeoutMs: 300 });
      await expect(client.put({ key: new TextEncoder().encode('x'), value: new Uint8Array(0) })).rejects.toBeInstanceOf(OutcomeUnknownError);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('reports a write acknowledged with an unreadable answer as applied, never as a plain failure', async () => {
    const { createServer } = await import('node:http');
    // A revision past 2^53 is beyond what cairn's decoder reads (IDs that large are read; see
    // test/api/ids-64bit.test.ts); the put was applied all the same.
    const etcdLike = createServer((_req, res) => res.end('{"header":{"cluster_id":"11605249171607781595","revision":"9007199254740993"}}'));
    await new Promise<void>((r) => etcdLike.listen(0, '127.0.0.1', r));
    const port = (etcdLike.address() as { port: number }).port;
    try {
      const client = new Client({ endpoints: [`http://127.0.0.1:${port}`] });
      const put = client.put({ key: new TextEncoder().encode('x'), value: new Uint8Array(0) });
      await expect(put).rejects.toBeInstanceOf(AppliedUnreadableError);
      await expect(put).rejects.toThrow(/applied the request, but its answer could not be read/);
      // A read changed nothing: its failure stays an ordinary one.
      await expect(client.get('x')).rejects.not.toBeInstanceOf(AppliedUnreadableError);
    } finally {
      etcdLike.closeAllConnections();
      etcdLike.close();
    }
  });

  it('resumes a watch on another member without gaps or duplicates when its member stops', async () => {
    cluster = await startCluster(3);
    const leader = await cluster.leader();
    const urls = await serveAll(cluster);
    const followerIndex = cluster.names.findIndex((n) => cluster!.members.get(n) !== leader);
    const followerName = cluster.names[followerIndex] as string;
    // The watch starts on the follower (first endpoint); writes go through the leader.
    const ordered = [urls[followerIndex] as string, ...urls.filter((_, i) => i !== followerIndex)];
    const watcher = new Client({ endpoints: ordered });
    const leaderUrl = urls[cluster.names.findIndex((n) => cluster!.members.get(n) === leader)] as string;
    const writer = new Client({ endpoints: [leaderUrl] });
    const first = await writer.put({ key: new TextEncoder().encode('w/0'), value: new TextEncoder().encode('0') });

    const seen: Array<{ key: string; rev: number }> = [];
    const watch = watcher.watchKey('w/', { prefix: true, startRevision: first.header.revision }, { reconnectDelayMs: 20 });
    const consume = (async () => {
      for await (const batch of watch) {
        for (const e of batch.events) seen.push({ key: fromUtf8(e.kv.key), rev: e.kv.modRevision });
        if (seen.length >= 20) return;
      }
    })();
    for (let i = 1; i < 10; i++) await writer.put({ key: new TextEncoder().encode(`w/${i}`), value: new TextEncoder().encode(`${i}`) });
    const until = Date.now() + 5000;
    while (seen.length < 10 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(seen.length).toBe(10);
    // Stop the follower's gateway and member: the watch must move to another endpoint.
    await apps.get(followerName)!.close();
    apps.delete(followerName);
    await cluster.stop(followerName);
    for (let i = 10; i < 20; i++) await writer.put({ key: new TextEncoder().encode(`w/${i}`), value: new TextEncoder().encode(`${i}`) });
    await consume;
    expect(seen.map((e) => e.key)).toEqual(Array.from({ length: 20 }, (_, i) => `w/${i}`));
    const revs = seen.map((e) => e.rev);
    expect(revs).toEqual([...revs].sort((a, b) => a - b));
    expect(new Set(revs).size).toBe(20);
  });
});
