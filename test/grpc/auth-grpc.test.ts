/**
 * Auth over gRPC, with clients nobody here wrote: etcdctl 3.4 runs the auth session of
 * test/cli/auth-session.ts against cairn (Authenticate, then the `token` metadata on every
 * call), and the etcd3 npm client logs in with a user and is held to its permissions.
 */
import { execFile } from 'node:child_process';
import { credentials, loadPackageDefinition, Metadata, type Client } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { existsSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION } from '../cli/auth-session.js';
import { ETCDCTL, startCairn, type CairnEndpoints } from './servers.js';

const hasEtcdctl = existsSync(ETCDCTL);
if (!hasEtcdctl) console.warn('auth-grpc: etcdctl is not installed; skipping the etcdctl session');

function etcdctl(host: string, args: readonly string[], stdin: string): Promise<{ out: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile(ETCDCTL, [`--endpoints=${host}`, ...args], { env: { ...process.env, ETCDCTL_API: '3' } }, (err, out) =>
      resolve({ out, code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1 }),
    );
    child.stdin?.end(stdin);
  });
}

let cairn: CairnEndpoints;
beforeAll(async () => {
  cairn = await startCairn(1);
});
afterAll(async () => {
  await cairn?.stop();
});

describe('auth over gRPC', () => {
  it.skipIf(!hasEtcdctl)('etcdctl 3.4 runs the auth session against cairn with etcd\'s output', async () => {
    for (const [argv, stdin, out, code] of SESSION) {
      const r = await etcdctl(cairn.hosts[0] as string, argv, stdin);
      expect([r.out, r.code], `etcdctl ${argv.join(' ')}`).toEqual([out, code]);
    }
  });

  it('the etcd3 client logs in and is held to its permissions', async () => {
    const fresh = await startCairn(1);
    const host = fresh.hosts[0] as string;
    const admin = new Etcd3({ hosts: [host] });
    try {
      await admin.user('root').create('rootpw');
      await admin.role('root').create();
      await admin.user('root').addRole('root');
      const bob = await admin.user('bob').create('bobpw');
      const reader = await admin.role('reader').create();
      await reader.grant({ permission: 'Read', range: admin.range({ prefix: 'pub/' }) });
      await bob.addRole('reader');
      await admin.put('pub/x').value('1');
      await admin.auth.authEnable();
    } finally {
      admin.close();
    }
    const asBob = new Etcd3({ hosts: [host], auth: { username: 'bob', password: 'bobpw' } });
    const asRoot = new Etcd3({ hosts: [host], auth: { username: 'root', password: 'rootpw' } });
    const anonymous = new Etcd3({ hosts: [host] });
    try {
      expect(await asBob.get('pub/x').string()).toBe('1');
      await expect(asBob.put('pub/x').value('2')).rejects.toThrow(/permission denied/);
      await expect(anonymous.get('pub/x').string()).rejects.toThrow(/user name is empty/);
      await asRoot.put('secret').value('s');
      await expect(asBob.get('secret').string()).rejects.toThrow(/permission denied/);
      await asRoot.auth.authDisable();
      expect(await anonymous.get('secret').string()).toBe('s');
    } finally {
      asBob.close();
      asRoot.close();
      anonymous.close();
      await fresh.stop();
    }
  });

  it('the Lock service runs as the caller: a user without write permission on the name cannot lock', async () => {
    type Ctor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client;
    const def = loadPackageDefinition(
      loadSync(['rpc.proto', 'auth.proto', 'v3lock.proto'], { includeDirs: [new URL('../../proto/', import.meta.url).pathname], keepCase: true, longs: String, defaults: true }),
    ) as unknown as { etcdserverpb: Record<string, Ctor>; v3lockpb: { Lock: Ctor } };
    const fresh = await startCairn(1);
    const host = fresh.hosts[0] as string;
    const call = (client: Client, method: string, req: object, md = new Metadata()): Promise<Record<string, unknown>> =>
      new Promise((resolve, reject) => {
        (client as unknown as Record<string, (r: object, m: Metadata, cb: (e: Error | null, v: Record<string, unknown>) => void) => void>)[method]?.call(client, req, md, (e, v) => (e ? reject(e) : resolve(v)));
      });
    const admin = new Etcd3({ hosts: [host] });
    const authClient = new def.etcdserverpb['Auth']!(host, credentials.createInsecure());
    const lock = new def.v3lockpb.Lock(host, credentials.createInsecure());
    try {
      await admin.user('root').create('rootpw');
      await admin.role('root').create();
      await admin.user('root').addRole('root');
      const carol = await admin.user('carol').create('carolpw');
      const locker = await admin.role('locker').create();
      await locker.grant({ permission: 'Readwrite', range: admin.range({ prefix: 'locks/ok/' }) });
      await carol.addRole('locker');
      await admin.auth.authEnable();
      const token = (await call(authClient, 'Authenticate', { name: 'carol', password: 'carolpw' }))['token'] as string;
      const md = new Metadata();
      md.set('token', token);
      const leaseClient = new def.etcdserverpb['Lease']!(host, credentials.createInsecure());
      const lease = (await call(leaseClient, 'LeaseGrant', { TTL: 30 }, md))['ID'] as string;
      leaseClient.close();
      const held = await call(lock, 'Lock', { name: Buffer.from('locks/ok/a'), lease }, md);
      expect(Buffer.from(held['key'] as Uint8Array).toString()).toMatch(/^locks\/ok\/a\//);
      await expect(call(lock, 'Lock', { name: Buffer.from('locks/other/a'), lease }, md)).rejects.toThrow(/permission denied/);
      await expect(call(lock, 'Lock', { name: Buffer.from('locks/ok/b') })).rejects.toThrow(/user name is empty/);
    } finally {
      admin.close();
      authClient.close();
      lock.close();
      await fresh.stop();
    }
  });
});
