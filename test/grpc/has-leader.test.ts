/**
 * etcd's `hasleader: true` metadata (etcdctl's watch and keep-alive, clientv3's
 * WithRequireLeader): while the member knows no leader, calls and streams carrying it fail at
 * once with 14 `etcdserver: no leader` instead of waiting for a timeout; streams already open
 * with it end so once the member has had no leader for three election timeouts (monitorLeader).
 */
import { credentials, loadPackageDefinition, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, expect, it } from 'vitest';
import { startCairn, type CairnEndpoints } from './servers.js';

type Ctor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client;
const pb = (
  loadPackageDefinition(loadSync('rpc.proto', { includeDirs: [new URL('../../proto/', import.meta.url).pathname], keepCase: true, longs: String })) as unknown as {
    etcdserverpb: Record<string, Ctor>;
  }
).etcdserverpb;

let cluster: CairnEndpoints | undefined;
const clients: Client[] = [];
afterAll(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
});

const requireLeader = (): Metadata => {
  const md = new Metadata();
  md.set('hasleader', 'true');
  return md;
};

/** The status a stream ends with. */
function streamStatus(call: NodeJS.EventEmitter): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => {
    call.on('data', () => undefined);
    call.on('error', (e: ServiceError) => resolve({ code: e.code, details: e.details }));
    call.on('status', (s: { code: number; details: string }) => resolve({ code: s.code, details: s.details }));
  });
}

it('refuses hasleader calls and streams with 14 "etcdserver: no leader" while there is no leader', async () => {
  cluster = await startCairn(3);
  const host = cluster.hosts[0] as string;
  const kv = new (pb['KV'] as Ctor)(host, credentials.createInsecure());
  const watch = new (pb['Watch'] as Ctor)(host, credentials.createInsecure());
  const lease = new (pb['Lease'] as Ctor)(host, credentials.createInsecure());
  clients.push(kv, watch, lease);
  type UnaryFn = (r: object, md: Metadata, cb: (e: ServiceError | null) => void) => void;
  const range = (md: Metadata) =>
    new Promise<ServiceError | null>((resolve) => (kv as unknown as { Range: UnaryFn }).Range({ key: Buffer.from('a') }, md, resolve));
  // With a leader the metadata changes nothing.
  expect(await range(requireLeader())).toBeNull();

  await cluster.stopMember(1);
  await cluster.stopMember(2);
  await expect
    .poll(async () => ((await (await fetch(`http://${host}/v3/maintenance/status`, { method: 'POST', body: '{}' })).json()) as { leader?: string }).leader, {
      timeout: 10_000,
    })
    .toBeUndefined();

  const err = await range(requireLeader());
  expect([err?.code, err?.details]).toEqual([14, 'etcdserver: no leader']);
  const w = (watch as unknown as { Watch(md: Metadata): NodeJS.EventEmitter }).Watch(requireLeader());
  expect(await streamStatus(w)).toEqual({ code: 14, details: 'etcdserver: no leader' });
  const k = (lease as unknown as { LeaseKeepAlive(md: Metadata): NodeJS.EventEmitter }).LeaseKeepAlive(requireLeader());
  expect(await streamStatus(k)).toEqual({ code: 14, details: 'etcdserver: no leader' });
}, 30_000);

it('ends open hasleader streams after three election timeouts without a leader, and only those', async () => {
  await cluster?.stop();
  cluster = await startCairn(3);
  const host = cluster.hosts[0] as string;
  const watch = new (pb['Watch'] as Ctor)(host, credentials.createInsecure());
  const lease = new (pb['Lease'] as Ctor)(host, credentials.createInsecure());
  clients.push(watch, lease);
  type Duplex = NodeJS.EventEmitter & { write(m: object): void };
  const open = (client: Client, method: string, md: Metadata): Duplex => (client as unknown as Record<string, (md: Metadata) => Duplex>)[method]?.(md) as Duplex;
  const guarded = open(watch, 'Watch', requireLeader());
  const plain = open(watch, 'Watch', new Metadata());
  const keepAlive = open(lease, 'LeaseKeepAlive', requireLeader());
  for (const w of [guarded, plain]) w.write({ create_request: { key: Buffer.from('a') } });
  const ended = [streamStatus(guarded), streamStatus(keepAlive)];
  let plainEnded = false;
  void streamStatus(plain).then(() => (plainEnded = true));
  await new Promise((r) => setTimeout(r, 300)); // opened with a leader: nothing ends
  await cluster.stopMember(1);
  await cluster.stopMember(2);
  const stoppedAt = Date.now();
  for (const status of ended) expect(await status).toEqual({ code: 14, details: 'etcdserver: no leader' });
  // 200 ms election timeout: the leader is lost within a few, then three checks without one.
  expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(3 * 200);
  expect(plainEnded).toBe(false);
  (plain as unknown as { cancel(): void }).cancel();
}, 30_000);
