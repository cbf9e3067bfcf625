/**
 * cairn's gRPC answers checked message by message with a raw grpc-js client built from the
 * project's .proto files: status codes and texts, the watch stream's ID rules, keep-alive of an
 * unknown lease, the health service, unknown services, etcd's receive limit, the v3lock service
 * (exclusive until Unlock, the second Lock waits, a 60 s lease when none is given), the v3election
 * service (Campaign waits its turn, Leader, Observe's stream, Proclaim, Resign). Every check runs
 * against a real etcd 3.4 too where one is installed, which also proves the .proto files'
 * field numbers against etcd's.
 */
import { credentials, loadPackageDefinition, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCairn, startEtcd, type Endpoints } from './servers.js';

type Msg = Record<string, unknown>;
type Ctor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client;

const def = loadPackageDefinition(
  loadSync(['rpc.proto', 'health.proto', 'v3lock.proto', 'v3election.proto'], { includeDirs: [new URL('../../proto/', import.meta.url).pathname], keepCase: true, longs: String, enums: String, defaults: true }),
) as unknown as { etcdserverpb: Record<string, Ctor>; grpc: { health: { v1: { Health: Ctor } } }; v3lockpb: { Lock: Ctor }; v3electionpb: { Election: Ctor } };

function unary(client: Client, method: string, req: Msg, md = new Metadata()): Promise<Msg> {
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, (r: Msg, m: Metadata, cb: (e: ServiceError | null, r: Msg) => void) => void>)[method]?.(req, md, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

async function failure(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  const err = (await p.then(
    () => undefined,
    (e: ServiceError) => e,
  )) as ServiceError | undefined;
  if (err === undefined) throw new Error('expected a failure');
  return { code: err.code, details: err.details };
}

function suite(name: string, start: () => Promise<Endpoints | undefined>): void {
  describe(name, () => {
    let servers: Endpoints | undefined;
    const clients: Client[] = [];
    const client = (service: string): Client => {
      const Ctor = service === 'Health' ? def.grpc.health.v1.Health : service === 'Lock' ? def.v3lockpb.Lock : service === 'Election' ? def.v3electionpb.Election : (def.etcdserverpb[service] as Ctor);
      const c = new Ctor(servers?.hosts[0] as string, credentials.createInsecure());
      clients.push(c);
      return c;
    };
    beforeAll(async () => {
      servers = await start();
    }, 60_000);
    afterAll(async () => {
      for (const c of clients) c.close();
      await servers?.stop();
    });

    it('answers errors with etcd status codes and texts', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const kv = client('KV');
      expect(await failure(unary(kv, 'Put', { key: Buffer.alloc(0), value: Buffer.from('x') }))).toEqual({ code: 3, details: 'etcdserver: key is not provided' });
      expect(await failure(unary(kv, 'Range', { key: Buffer.from('a'), revision: 1000 }))).toEqual({
        code: 11,
        details: 'etcdserver: mvcc: required revision is a future revision',
      });
      expect(await failure(unary(client('Lease'), 'LeaseRevoke', { ID: 1234 }))).toEqual({ code: 5, details: 'etcdserver: requested lease not found' });
      const big = await failure(unary(kv, 'Put', { key: Buffer.from('big'), value: Buffer.alloc(2_100_000) }));
      expect(big.code).toBe(8);
      expect(big.details).toMatch(/^grpc: received message larger than max \(2100\d+ vs\. 2097152\)$/);
      const tooLarge = await failure(unary(kv, 'Put', { key: Buffer.from('big'), value: Buffer.alloc(1_600_000) }));
      expect(tooLarge).toEqual({ code: 3, details: 'etcdserver: request is too large' });
    });

    it('decodes explicit zero oneof operands and int64 fields', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const kv = client('KV');
      const put = await unary(kv, 'Put', { key: Buffer.from('z'), value: Buffer.from('1') });
      const rev = Number((put['header'] as Msg)['revision']);
      const txn = await unary(kv, 'Txn', {
        compare: [{ target: 'MOD', key: Buffer.from('z'), mod_revision: String(rev) }],
        success: [{ request_range: { key: Buffer.from('z') } }],
      });
      expect(txn['succeeded']).toBe(true);
      const range = (txn['responses'] as Msg[])[0]?.['response_range'] as Msg;
      expect(((range['kvs'] as Msg[])[0]?.['value'] as Buffer).toString()).toBe('1');
      const absent = await unary(kv, 'Txn', { compare: [{ target: 'CREATE', key: Buffer.from('z'), create_revision: 0 }] });
      expect(absent['succeeded']).toBe(false);
    });

    it('carries 64-bit IDs exactly: an unknown lease of 2^63-1 is echoed, IDs in headers are whole', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const lease = client('Lease');
      const max = '9223372036854775807';
      expect(await failure(unary(lease, 'LeaseRevoke', { ID: max }))).toEqual({ code: 5, details: 'etcdserver: requested lease not found' });
      expect(await unary(lease, 'LeaseTimeToLive', { ID: max })).toMatchObject({ ID: max, TTL: '-1' });
      const list = await unary(client('Cluster'), 'MemberList', {});
      const members = list['members'] as Msg[];
      expect((list['header'] as Msg)['member_id']).toBe(members.find((m) => m['name'] !== '')?.['ID']);
      expect(await failure(unary(client('Cluster'), 'MemberRemove', { ID: '18446744073709551615' }))).toEqual({ code: 5, details: 'etcdserver: member not found' });
    });

    it('keeps etcd watch-stream rules: ID assignment, duplicates, cancel, progress', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const md = new Metadata();
      md.set('hasleader', 'true');
      const call = (client('Watch') as unknown as { Watch(md: Metadata): NodeJS.ReadWriteStream & { write(m: Msg): void; cancel(): void } }).Watch(md);
      const replies: Msg[] = [];
      call.on('data', (m: Msg) => replies.push(m));
      call.on('error', () => undefined);
      const next = async (count: number): Promise<Msg[]> => {
        await expect.poll(() => replies.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(count);
        return replies.slice(0, count);
      };
      const create = (req: Msg) => call.write({ create_request: { key: Buffer.from('wk'), ...req } });
      create({});
      await next(1);
      create({ watch_id: 7 });
      await next(2);
      create({ watch_id: 7 });
      await next(3);
      create({});
      await next(4);
      create({ range_end: Buffer.from('a') });
      const got = await next(5);
      expect(got.map((r) => [r['watch_id'], r['created'], r['canceled'], r['cancel_reason']])).toEqual([
        ['0', true, false, ''],
        ['7', true, false, ''],
        ['-1', true, true, 'mvcc: duplicate watch ID provided on the WatchStream'],
        ['1', true, false, ''],
        ['-1', true, true, 'mvcc: watcher range is empty'],
      ]);
      call.write({ cancel_request: { watch_id: 7 } });
      const canceled = (await next(6))[5] as Msg;
      expect([canceled['watch_id'], canceled['canceled']]).toEqual(['7', true]);
      call.write({ progress_request: {} });
      const progress = (await next(7))[6] as Msg;
      expect(progress['watch_id']).toBe('-1');
      await unary(client('KV'), 'Put', { key: Buffer.from('wk'), value: Buffer.from('v') });
      const events = await next(9);
      expect(events.slice(7).map((r) => [r['watch_id'], ((r['events'] as Msg[])[0]?.['kv'] as Msg)['value']?.toString()]).sort()).toEqual([
        ['0', 'v'],
        ['1', 'v'],
      ]);
      call.cancel();
    });

    it('answers a keep-alive for an unknown lease with TTL 0, and ends OK after a half-close', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const lease = client('Lease');
      const granted = await unary(lease, 'LeaseGrant', { TTL: 30 });
      const call = (lease as unknown as { LeaseKeepAlive(): NodeJS.ReadWriteStream & { write(m: Msg): void } }).LeaseKeepAlive();
      const replies: Msg[] = [];
      call.on('data', (m: Msg) => replies.push(m));
      const ended = new Promise<void>((resolve, reject) => {
        call.on('end', resolve);
        call.on('error', reject);
      });
      call.write({ ID: granted['ID'] });
      call.write({ ID: 12345 });
      call.end();
      await ended;
      expect(replies.map((r) => [r['ID'], r['TTL']])).toEqual([
        [granted['ID'], '30'],
        ['12345', '0'],
      ]);
    });

    it('serves grpc.health.v1 and refuses unknown services with code 12', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const health = client('Health');
      expect(await unary(health, 'Check', { service: '' })).toEqual({ status: 'SERVING' });
      expect((await failure(unary(health, 'Check', { service: 'etcdserverpb.KV' }))).code).toBe(5);
      const kv = client('KV');
      const stranger = await failure(
        new Promise((resolve, reject) => kv.makeUnaryRequest('/foo.Bar/Baz', (x: Buffer) => x, (x: Buffer) => x, Buffer.alloc(0), (e, r) => (e ? reject(e) : resolve(r)))),
      );
      expect(stranger.code).toBe(12);
    });

    it("counts RPCs in etcd's grpc_server_* metrics", async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      await failure(unary(client('KV'), 'Put', { key: Buffer.alloc(0), value: Buffer.from('x') }));
      await unary(client('KV'), 'Range', { key: Buffer.from('m') });
      const metrics = await (await fetch(`http://${servers.hosts[0]}/metrics`)).text();
      const value = (line: string): number => Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics)?.[1] ?? 'NaN');
      const kv = 'grpc_service="etcdserverpb.KV"';
      expect(value(`grpc_server_handled_total{grpc_code="InvalidArgument",grpc_method="Put",${kv},grpc_type="unary"}`)).toBeGreaterThanOrEqual(1);
      expect(value(`grpc_server_started_total{grpc_method="Range",${kv},grpc_type="unary"}`)).toBeGreaterThanOrEqual(1);
      expect(value(`grpc_server_msg_received_total{grpc_method="Range",${kv},grpc_type="unary"}`)).toBeGreaterThanOrEqual(1);
      expect(value(`grpc_server_msg_sent_total{grpc_method="Range",${kv},grpc_type="unary"}`)).toBeGreaterThanOrEqual(1);
      expect(value(`grpc_server_handled_total{grpc_code="OK",grpc_method="Range",${kv},grpc_type="unary"}`)).toBeGreaterThanOrEqual(1);
    });

    it('v3lock: holds a lock until Unlock; a second Lock on the name waits for it', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const lock = client('Lock');
      const leases = client('Lease');
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

    it('v3lock: answers failures with code 2 and the text', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const lock = client('Lock');
      expect(await failure(unary(lock, 'Unlock', {}))).toEqual({ code: 2, details: 'etcdserver: key is not provided' });
      expect(await failure(unary(lock, 'Lock', { name: Buffer.from('M'), lease: '12345' }))).toEqual({ code: 2, details: 'etcdserver: requested lease not found' });
    });

    it('v3election: Campaign waits its turn; Leader, Observe, Proclaim and Resign follow the leader', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const election = client('Election');
      const leases = client('Lease');
      const a = await unary(leases, 'LeaseGrant', { TTL: 30 });
      const won = await unary(election, 'Campaign', { name: Buffer.from('E'), lease: a['ID'], value: Buffer.from('a1') });
      const leader = won['leader'] as Msg;
      expect((leader['key'] as Buffer).toString()).toBe(`E/${BigInt(a['ID'] as string).toString(16)}`);
      expect(leader['lease']).toBe(a['ID']);
      expect(leader['rev']).toBe((won['header'] as Msg)['revision']);
      const seen: string[] = [];
      const observe = (election as unknown as Record<string, (r: Msg) => NodeJS.ReadableStream & { cancel(): void }>)['Observe']?.({ name: Buffer.from('E') });
      observe?.on('data', (r: Msg) => seen.push(((r['kv'] as Msg)['value'] as Buffer).toString()));
      observe?.on('error', () => undefined);
      let secondDone = false;
      const b = await unary(leases, 'LeaseGrant', { TTL: 30 });
      const second = unary(election, 'Campaign', { name: Buffer.from('E'), lease: b['ID'], value: Buffer.from('b1') }).then((r) => {
        secondDone = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(secondDone).toBe(false);
      const current = await unary(election, 'Leader', { name: Buffer.from('E') });
      expect(((current['kv'] as Msg)['value'] as Buffer).toString()).toBe('a1');
      await unary(election, 'Proclaim', { leader, value: Buffer.from('a2') });
      expect((((await unary(election, 'Leader', { name: Buffer.from('E') }))['kv'] as Msg)['value'] as Buffer).toString()).toBe('a2');
      await unary(election, 'Resign', { leader });
      const next = (await second)['leader'] as Msg;
      expect((next['key'] as Buffer).toString()).toBe(`E/${BigInt(b['ID'] as string).toString(16)}`);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual(['a1', 'a2', 'b1']);
      observe?.cancel();
      // The resigned key is stale now: proclaiming with it fails.
      expect(await failure(unary(election, 'Proclaim', { leader, value: Buffer.from('x') }))).toEqual({ code: 2, details: 'election: not leader' });
      await unary(election, 'Resign', { leader: next });
    });

    it('v3election: a Campaign abandoned while waiting withdraws its key', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const election = client('Election');
      const leases = client('Lease');
      const a = await unary(leases, 'LeaseGrant', { TTL: 30 });
      const b = await unary(leases, 'LeaseGrant', { TTL: 30 });
      const held = (await unary(election, 'Campaign', { name: Buffer.from('C'), lease: a['ID'], value: Buffer.from('a') }))['leader'] as Msg;
      const waiting = new Promise<ServiceError | null>((resolve) => {
        const campaign = (election as unknown as Record<string, (r: Msg, m: Metadata, o: { deadline: number }, cb: (e: ServiceError | null) => void) => void>)['Campaign'];
        campaign?.call(election, { name: Buffer.from('C'), lease: b['ID'], value: Buffer.from('b') }, new Metadata(), { deadline: Date.now() + 500 }, resolve);
      });
      expect((await waiting)?.code).toBe(4);
      const candidates = async () => Number((await unary(client('KV'), 'Range', { key: Buffer.from('C/'), range_end: Buffer.from('C0'), count_only: true }))['count'] ?? 0);
      for (let i = 0; i < 50 && (await candidates()) > 1; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await candidates()).toBe(1);
      await unary(election, 'Resign', { leader: held });
    });

    it('v3election: answers failures with code 2 and the text', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const election = client('Election');
      expect(await failure(unary(election, 'Leader', { name: Buffer.from('nobody') }))).toEqual({ code: 2, details: 'election: no leader' });
      expect(await failure(unary(election, 'Proclaim', { value: Buffer.from('v') }))).toEqual({ code: 2, details: '"leader" field must be provided' });
      expect(await failure(unary(election, 'Resign', {}))).toEqual({ code: 2, details: '"leader" field must be provided' });
      expect(await failure(unary(election, 'Campaign', { name: Buffer.from('N'), lease: '12345', value: Buffer.from('v') }))).toEqual({ code: 2, details: 'etcdserver: requested lease not found' });
      // Resign with a LeaderKey that no longer holds is a no-op answered OK (concurrency's Resign).
      const c = await unary(client('Lease'), 'LeaseGrant', { TTL: 30 });
      const held = (await unary(election, 'Campaign', { name: Buffer.from('S'), lease: c['ID'], value: Buffer.from('s') }))['leader'] as Msg;
      const resigned = await unary(election, 'Resign', { leader: { ...held, rev: '1' } });
      expect((resigned['header'] as Msg)['revision']).toBe(held['rev']);
      expect((((await unary(election, 'Leader', { name: Buffer.from('S') }))['kv'] as Msg)['value'] as Buffer).toString()).toBe('s');
      await unary(election, 'Resign', { leader: held });
      expect(await failure(unary(election, 'Leader', { name: Buffer.from('S') }))).toEqual({ code: 2, details: 'election: no leader' });
    });

    it('serves the JSON gateway on the same port', async (ctx) => {
      if (servers === undefined) return ctx.skip('etcd is not installed (the reason was printed)');
      const res = await fetch(`http://${servers.hosts[0]}/version`);
      expect(res.status).toBe(200);
      expect(Object.keys((await res.json()) as Msg)).toContain('etcdserver');
    });
  });
}

suite('raw gRPC against cairn', () => startCairn(1));
suite('raw gRPC against etcd', startEtcd);
