/**
 * etcd's v3lock service (v3lockpb.Lock) through a raw grpc-js client built from the project's
 * proto/v3lock.proto: a lock is exclusive, a second Lock waits until the first is unlocked, a
 * lock without a lease gets one of 60 s, and failures are code 2. The same checks run against
 * a real etcd 3.4 where one is installed (which also proves the .proto's field numbers).
 */
import { credentials, loadPackageDefinition, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCairn, startEtcd, type Endpoints } from './servers.js';

type Msg = Record<string, unknown>;
type Ctor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client;
const def = loadPackageDefinition(
  loadSync(['v3lock.proto', 'rpc.proto'], { includeDirs: [new URL('../../proto/', import.meta.url).pathname], keepCase: true, longs: String, defaults: true }),
) as unknown as { v3lockpb: { Lock: Ctor }; etcdserverpb: Record<string, Ctor> };

function unary(client: Client, method: string, req: Msg): Promise<Msg> {
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, (r: Msg, cb: (e: ServiceError | null, r: Msg) => void) => void>)[method]?.(req, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

function suite(name: string, start: () => Promise<Endpoints | undefined>): void {
  describe(name, () => {
    let servers: Endpoints | undefined;
    const clients: Client[] = [];
    beforeAll(async () => {
      servers = await start();
    }, 60_000);
    afterAll(async () => {
      for (const c of clients) c.close();
      await servers?.stop();
    });

    it('holds a lock until Unlock; a second Lock on the name waits for it', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const host = servers.hosts[0] as string;
      const lock = new def.v3lockpb.Lock(host, credentials.createInsecure());
      const leases = new (def.etcdserverpb['Lease'] as Ctor)(host, credentials.createInsecure());
      clients.push(lock, leases);
      const granted = await unary(leases, 'LeaseGrant', { TTL: 30 });
      const first = await unary(lock, 'Lock', { name: Buffer.from('L'), lease: granted['ID'] });
      expect((first['key'] as Buffer).toString()).toBe(`L/${BigInt(granted['ID'] as string).toString(16)}`);
      let secondDone = false;
      const second = unary(lock, 'Lock', { name: Buffer.from('L') }).then((r) => {
        secondDone = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(secondDone).toBe(false);
      await unary(lock, 'Unlock', { key: first['key'] });
      const got = await second;
      // No lease in the request: the server granted one (60 s), named in the key.
      const key = (got['key'] as Buffer).toString();
      expect(key).toMatch(/^L\/[0-9a-f]+$/);
      const ttl = await unary(leases, 'LeaseTimeToLive', { ID: BigInt(`0x${key.slice(2)}`).toString() });
      expect(Number(ttl['grantedTTL'])).toBe(60);
      await unary(lock, 'Unlock', { key: got['key'] });
    });

    it('answers failures with code 2 and the text', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const lock = new def.v3lockpb.Lock(servers.hosts[0] as string, credentials.createInsecure());
      clients.push(lock);
      const err = (await unary(lock, 'Unlock', {}).then(() => undefined, (e: ServiceError) => e)) as ServiceError | undefined;
      expect([err?.code, err?.details]).toEqual([2, 'etcdserver: key is not provided']);
      const bad = (await unary(lock, 'Lock', { name: Buffer.from('M'), lease: '12345' }).then(() => undefined, (e: ServiceError) => e)) as ServiceError | undefined;
      expect([bad?.code, bad?.details]).toEqual([2, 'etcdserver: requested lease not found']);
    });
  });
}

suite('v3lock against cairn', () => startCairn(1));
suite('v3lock against etcd', startEtcd);
