/**
 * The Lock and Election services run their recipes as the caller: with auth enabled, a call
 * without a token is refused (code 2, etcd's text, as every v3lock/v3election error), and one
 * with a token acts with that user's permissions.
 */
import { credentials, loadPackageDefinition, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCairn, type CairnEndpoints } from './servers.js';

type Msg = Record<string, unknown>;
type Ctor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client;
type Call = (r: Msg, m: Metadata, cb: (e: ServiceError | null, r: Msg) => void) => void;

const def = loadPackageDefinition(
  loadSync(['rpc.proto', 'v3lock.proto', 'v3election.proto'], { includeDirs: [new URL('../../proto/', import.meta.url).pathname], keepCase: true, longs: String, enums: String }),
) as unknown as { etcdserverpb: Record<string, Ctor>; v3lockpb: { Lock: Ctor }; v3electionpb: { Election: Ctor } };

let cairn: CairnEndpoints;
const clients: Client[] = [];
function client(Service: Ctor): Client {
  const c = new Service(cairn.hosts[0] as string, credentials.createInsecure());
  clients.push(c);
  return c;
}
function call(c: Client, method: string, req: Msg, md = new Metadata()): Promise<Msg> {
  return new Promise((resolve, reject) => (c as unknown as Record<string, Call>)[method]?.(req, md, (e, r) => (e ? reject(e) : resolve(r))));
}

beforeAll(async () => {
  cairn = await startCairn(1);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await cairn?.stop();
});

describe('lock and election with auth enabled', () => {
  it('refuses a caller without a token and serves root', async () => {
    const auth = client(def.etcdserverpb['Auth'] as Ctor);
    await call(auth, 'UserAdd', { name: 'root', password: 'pw' });
    await call(auth, 'RoleAdd', { name: 'root' });
    await call(auth, 'UserGrantRole', { user: 'root', role: 'root' });
    await call(auth, 'AuthEnable', {});
    const root = new Metadata();
    root.set('token', (await call(auth, 'Authenticate', { name: 'root', password: 'pw' }))['token'] as string);
    const granted = await call(client(def.etcdserverpb['Lease'] as Ctor), 'LeaseGrant', { TTL: 30 }, root);
    const election = client(def.v3electionpb.Election);
    const lock = client(def.v3lockpb.Lock);
    const refused = { code: 2, details: 'etcdserver: user name is empty' };
    await expect(call(election, 'Campaign', { name: Buffer.from('E'), lease: granted['ID'], value: Buffer.from('v') })).rejects.toMatchObject(refused);
    await expect(call(election, 'Leader', { name: Buffer.from('E') })).rejects.toMatchObject(refused);
    await expect(call(lock, 'Lock', { name: Buffer.from('L'), lease: granted['ID'] })).rejects.toMatchObject(refused);
    const won = await call(election, 'Campaign', { name: Buffer.from('E'), lease: granted['ID'], value: Buffer.from('v') }, root);
    const leader = await call(election, 'Leader', { name: Buffer.from('E') }, root);
    expect((leader['kv'] as Msg)['key']).toEqual((won['leader'] as Msg)['key']);
    const held = await call(lock, 'Lock', { name: Buffer.from('L'), lease: granted['ID'] }, root);
    await call(lock, 'Unlock', { key: held['key'] }, root);
  });
});
