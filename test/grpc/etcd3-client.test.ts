/**
 * The `etcd3` npm client (a gRPC client nobody here wrote) against a 3-member cairn, and the same
 * checks against a real etcd 3.4 where one is installed: its README example, prefix ranges,
 * txn if/then/else, leases kept alive and left to expire, watches (live and from a revision),
 * its lock and election helpers, and the member list.
 */
import { createServer, connect, type Socket } from 'node:net';
import { Etcd3, EtcdLockFailedError } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCairn, startEtcd, type Endpoints } from './servers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP relay to `target` whose connections can be cut, and new ones refused for a while. */
async function relay(target: string): Promise<{ host: string; cut(): void; refuse(on: boolean): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const [targetHost, targetPort] = target.split(':') as [string, string];
  const server = createServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = connect(Number(targetPort), targetHost);
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as { port: number }).port}`,
    cut: () => {
      for (const sock of sockets) sock.destroy();
    },
    refuse: (on) => {
      refusing = on;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function suite(name: string, start: () => Promise<Endpoints | undefined>, members: number): void {
  describe(name, () => {
    let servers: Endpoints | undefined;
    let client: Etcd3;
    beforeAll(async () => {
      servers = await start();
      if (servers !== undefined) client = new Etcd3({ hosts: [...servers.hosts] });
    }, 60_000);
    afterAll(async () => {
      client?.close();
      await servers?.stop();
    });

    it('runs the README example: put, get, prefix keys, delete all', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      await client.put('foo').value('bar');
      await client.put('fizz').value('buzz');
      expect(await client.get('foo').string()).toBe('bar');
      expect((await client.getAll().prefix('f').keys()).sort()).toEqual(['fizz', 'foo']);
      expect(await client.getAll().prefix('f').count()).toBe(2);
      await client.delete().key('fizz');
      expect(await client.get('fizz').string()).toBeNull();
      await client.delete().all();
      expect(await client.getAll().count()).toBe(0);
    });

    it('runs a txn: if/then/else both ways', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      await client.put('t').value('1');
      const yes = await client.if('t', 'Value', '==', '1').then(client.put('t').value('2')).else(client.put('t').value('x')).commit();
      expect(yes.succeeded).toBe(true);
      const no = await client.if('t', 'Value', '==', '1').then(client.put('t').value('3')).else(client.get('t')).commit();
      expect(no.succeeded).toBe(false);
      expect(no.responses[0]?.response_range?.kvs[0]?.value.toString()).toBe('2');
      // A create_revision compare of 0 (explicitly encoded, as lock recipes send it).
      const absent = await client.if('t-new', 'Create', '==', 0).then(client.put('t-new').value('v')).commit();
      expect(absent.succeeded).toBe(true);
    });

    it('keeps a lease alive and lets an abandoned one expire', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const kept = client.lease(2);
      await kept.put('kept').value('v');
      const dropped = client.lease(2, { autoKeepAlive: false });
      await dropped.put('dropped').value('v');
      await sleep(3_500);
      expect(await client.get('kept').string()).toBe('v');
      expect(await client.get('dropped').string()).toBeNull();
      const ttl = (await kept.keepaliveOnce()).TTL;
      expect(Number(ttl)).toBe(2);
      await kept.revoke();
      expect(await client.get('kept').string()).toBeNull();
    }, 15_000);

    it('watches live events and replays from a revision', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const first = await client.put('w/a').value('1').exec();
      const watcher = await client.watch().prefix('w/').create();
      const seen: string[] = [];
      watcher.on('put', (kv) => seen.push(`put ${kv.key.toString()}=${kv.value.toString()}`));
      watcher.on('delete', (kv) => seen.push(`delete ${kv.key.toString()}`));
      await client.put('w/b').value('2');
      await client.delete().key('w/a');
      await expect.poll(() => seen, { timeout: 5_000 }).toEqual(['put w/b=2', 'delete w/a']);
      await watcher.cancel();
      const replay = await client.watch().prefix('w/').startRevision(first.header.revision).create();
      const replayed: string[] = [];
      replay.on('data', (res) => replayed.push(...res.events.map((e) => `${e.type} ${e.kv.key.toString()}`)));
      await expect.poll(() => replayed, { timeout: 5_000 }).toEqual(['Put w/a', 'Put w/b', 'Delete w/a']);
      await replay.cancel();
    });

    it('resumes a watch after its connection is cut, without gaps or duplicates', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const proxy = await relay(servers.hosts[0] as string);
      const watching = new Etcd3({ hosts: [proxy.host] });
      try {
        const watcher = await watching.watch().prefix('r/').create();
        const seen: string[] = [];
        // Registered after create(): counts re-connections only.
        let reconnects = 0;
        watcher.on('connected', () => reconnects++);

        watcher.on('put', (kv) => seen.push(kv.value.toString()));
        await client.put('r/k').value('1');
        await expect.poll(() => seen, { timeout: 5_000 }).toEqual(['1']);
        // Cut the stream and write while the watcher cannot reconnect: it must catch up on resume.
        proxy.refuse(true);
        proxy.cut();
        await client.put('r/k').value('2');
        await client.put('r/k').value('3');
        proxy.refuse(false);
        await client.put('r/k').value('4');
        await expect.poll(() => seen, { timeout: 15_000 }).toEqual(['1', '2', '3', '4']);
        expect(reconnects).toBeGreaterThanOrEqual(1);
        await watcher.cancel();
      } finally {
        watching.close();
        proxy.cut();
        await proxy.close();
      }
    }, 20_000);

    it('locks: a second holder fails while the first holds the lock', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const result = await client.lock('L').do(async () => {
        await expect(client.lock('L').acquire()).rejects.toBeInstanceOf(EtcdLockFailedError);
        return 'done';
      });
      expect(result).toBe('done');
      const again = await client.lock('L').acquire();
      await again.release();
    });

    it('elects a leader and hands over on resign', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const election = client.election('E');
      const one = election.campaign('p1');
      await one.wait();
      expect(await election.leader()).toBe('p1');
      const two = election.campaign('p2');
      await one.resign();
      await two.wait();
      expect(await election.leader()).toBe('p2');
      await two.resign();
    });

    it('lists the members', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const list = await client.cluster.memberList({});
      expect(list.members).toHaveLength(members);
      expect(list.members.map((m) => m.clientURLs[0]).sort()).toEqual(servers.hosts.map((h) => `http://${h}`).sort());
    });
  });
}

suite('etcd3 client against a 3-member cairn', () => startCairn(3), 3);
suite('etcd3 client against etcd', startEtcd, 1);
