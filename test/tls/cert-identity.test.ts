/**
 * A verified client certificate's CN as the user (etcd's --client-cert-auth with auth on,
 * etcd-auth-tls §6), end to end on a real member with an https:// client URL: over the JSON
 * gateway, the plain /kv/ API, gRPC and the cairn CLI, a certificate with CN=alice and no token has alice's
 * permissions (READWRITE on prefix a/ only); a token wins over the CN; a CN-less certificate is
 * nobody (the member's own certificate never names the caller: CVE-2018-16886); a certificate
 * from another CA is refused in the handshake. A second member with only --trusted-ca-file
 * verifies certificates without taking their CN as an identity. The gateway deliberately does
 * not answer etcd's 400 for a CN certificate (etcd-auth-tls §7.3; why: docs/security.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, loadPackageDefinition, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/commands/run-cli.js';
import { startNode, type CairnNode } from '../../src/index.js';
import { freePort } from '../e2e/processes.js';
import { testPki, type Pem, type TestPki } from './certs.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

let pki: TestPki;
let dir: string;
const nodes: CairnNode[] = [];
const grpcClients: Client[] = [];

/** A member on an https:// client URL with the test CA; `clientCertAuth` as given. */
async function startMember(name: string, clientCertAuth: boolean): Promise<string> {
  const url = `https://127.0.0.1:${await freePort()}`;
  nodes.push(
    await startNode({
      http: true,
      logger: false,
      dataDir: join(dir, name),
      listenClientUrls: [url],
      advertiseClientUrls: [url],
      listenPeerUrls: [`http://127.0.0.1:${await freePort()}`],
      clientTls: { certFile: pki.file('member'), keyFile: pki.file('member', 'key'), trustedCaFile: pki.file('ca'), clientCertAuth },
    }),
  );
  return url;
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One HTTPS request with client certificate `as`; rejects with the handshake error. */
function send(base: string, method: string, path: string, as: Pem, body = '', token?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = token === undefined ? {} : { authorization: token };
    const req = request(new URL(path, base), { method, ca: pki.ca.cert, cert: as.cert, key: as.key, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const post = (base: string, path: string, payload: object, as: Pem, token?: string): Promise<Answer> => send(base, 'POST', path, as, JSON.stringify(payload), token);
const put = (base: string, key: string, as: Pem, token?: string): Promise<Answer> => post(base, '/v3/kv/put', { key: b64(key), value: b64('v') }, as, token);
const errorOf = (a: Answer): [number, unknown] => [a.status, (JSON.parse(a.body) as { error?: unknown }).error];

/** etcd-auth-tls §9's setup in small: root (role root), alice without a password, role rw = READWRITE on prefix a/. */
async function enableAuth(base: string): Promise<string> {
  const steps: [string, object][] = [
    ['/v3/auth/user/add', { name: 'root', password: 'rootpw' }],
    ['/v3/auth/role/add', { name: 'root' }],
    ['/v3/auth/user/grant', { user: 'root', role: 'root' }],
    ['/v3/auth/user/add', { name: 'alice', options: { no_password: true } }],
    ['/v3/auth/role/add', { name: 'rw' }],
    ['/v3/auth/role/grant', { name: 'rw', perm: { permType: 'READWRITE', key: b64('a/'), range_end: b64('a0') } }],
    ['/v3/auth/user/grant', { user: 'alice', role: 'rw' }],
    ['/v3/auth/enable', {}],
  ];
  // Auth is still off: any certificate the CA signed may do this.
  for (const [path, body] of steps) expect([path, (await post(base, path, body, pki.nameless)).status]).toEqual([path, 200]);
  const login = await post(base, '/v3/auth/authenticate', { name: 'root', password: 'rootpw' }, pki.nameless);
  expect(login.status).toBe(200);
  return (JSON.parse(login.body) as { token: string }).token;
}

let url: string;
let rootToken: string;

beforeAll(async () => {
  pki = await testPki();
  dir = mkdtempSync(join(tmpdir(), 'cairn-cert-identity-'));
  url = await startMember('identity', true);
  rootToken = await enableAuth(url);
}, 30_000);

afterAll(async () => {
  for (const c of grpcClients) c.close();
  for (const n of nodes) await n.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('client certificate identity over HTTPS (--client-cert-auth, auth on)', () => {
  it("gives a CN=alice certificate with no token alice's permissions on the gateway", async () => {
    expect((await put(url, 'a/1', pki.alice)).status).toBe(200);
    expect(errorOf(await put(url, 'b/1', pki.alice))).toEqual([403, 'etcdserver: permission denied']);
    const range = await post(url, '/v3/kv/range', { key: b64('a/1') }, pki.alice);
    expect(range.status).toBe(200);
    expect(JSON.parse(range.body)).toMatchObject({ kvs: [{ key: b64('a/1'), value: b64('v') }] });
  });

  it('lets a token win over the certificate CN', async () => {
    // root's token with alice's certificate: root may write b/.
    expect((await put(url, 'b/1', pki.alice, rootToken)).status).toBe(200);
    // And a bad token is 401 whatever the certificate says.
    expect(errorOf(await put(url, 'a/1', pki.alice, 'garbage.1'))).toEqual([401, 'etcdserver: invalid auth token']);
  });

  it('takes the CN on the plain /kv/ API too', async () => {
    expect((await send(url, 'PUT', '/kv/a/plain', pki.alice, 'v')).status).toBe(201);
    expect((await send(url, 'PUT', '/kv/b/plain', pki.alice, 'v')).status).toBe(403);
    expect(await send(url, 'GET', '/kv/a/plain', pki.alice)).toEqual({ status: 200, body: 'v' });
  });

  it('serves the cairn CLI as the certificate names it, or as --user says', async () => {
    const tls = ['--endpoints', url, '--cacert', pki.file('ca'), '--cert', pki.file('alice'), '--key', pki.file('alice', 'key')];
    expect(await runCli([...tls, 'put', 'a/cli', 'v'])).toMatchObject({ code: 0, stdout: 'OK\n' });
    expect(await runCli([...tls, 'put', 'b/cli', 'v'])).toMatchObject({ code: 1, stderr: expect.stringContaining('etcdserver: permission denied') });
    expect(await runCli([...tls, '--user', 'root:rootpw', 'put', 'b/cli', 'v'])).toMatchObject({ code: 0, stdout: 'OK\n' });
  });

  it("treats a CN-less certificate as nobody, never as the member's own certificate", async () => {
    // The member's certificate says CN=member; etcd before CVE-2018-16886's fix made that every gateway caller's name.
    expect(errorOf(await put(url, 'a/1', pki.nameless))).toEqual([400, 'etcdserver: user name is empty']);
  });

  it('refuses a certificate signed by another CA in the handshake', async () => {
    await expect(put(url, 'a/1', pki.stranger)).rejects.toThrow(/alert|certificate|socket hang up|ECONNRESET/i);
  });
});

type Ctor = new (address: string, creds: ReturnType<typeof credentials.createSsl>) => Client;
type UnaryFn = (r: object, md: Metadata, cb: (e: ServiceError | null, res?: { kvs?: { value: Buffer }[] }) => void) => void;
const pb = (
  loadPackageDefinition(loadSync('rpc.proto', { includeDirs: [new URL('../../proto/', import.meta.url).pathname], keepCase: true, longs: String })) as unknown as {
    etcdserverpb: Record<string, Ctor>;
  }
).etcdserverpb;

/** A gRPC KV client of the member at `base` presenting certificate `as`. */
function kvClient(base: string, as: Pem): { put(key: string, token?: string): Promise<ServiceError | null>; range(key: string): Promise<ServiceError | null> } {
  const client = new (pb['KV'] as Ctor)(new URL(base).host, credentials.createSsl(Buffer.from(pki.ca.cert), Buffer.from(as.key), Buffer.from(as.cert)));
  grpcClients.push(client);
  const kv = client as unknown as { Put: UnaryFn; Range: UnaryFn };
  const metadata = (token?: string): Metadata => {
    const md = new Metadata();
    if (token !== undefined) md.set('token', token);
    return md;
  };
  return {
    put: (key, token) => new Promise((resolve) => kv.Put({ key: Buffer.from(key), value: Buffer.from('g') }, metadata(token), (e) => resolve(e))),
    range: (key) => new Promise((resolve) => kv.Range({ key: Buffer.from(key) }, metadata(), (e) => resolve(e))),
  };
}

const statusOf = (e: ServiceError | null): [number, string] | null => (e === null ? null : [e.code, e.details]);

describe('client certificate identity over gRPC (--client-cert-auth, auth on)', () => {
  it("gives a CN=alice certificate with no token alice's permissions", async () => {
    const alice = kvClient(url, pki.alice);
    expect(await alice.put('a/grpc')).toBeNull();
    expect(await alice.range('a/grpc')).toBeNull();
    expect(statusOf(await alice.put('b/grpc'))).toEqual([7, 'etcdserver: permission denied']);
    expect(statusOf(await alice.range('b/1'))).toEqual([7, 'etcdserver: permission denied']);
  });

  it('lets a token win over the certificate CN', async () => {
    const alice = kvClient(url, pki.alice);
    expect(await alice.put('b/grpc', rootToken)).toBeNull();
  });

  it('treats a CN-less certificate as the user "" no permission names, as etcd 3.4.23 does', async () => {
    // etcd's AuthInfoFromTLS takes the empty CN as a user name: its key checks then find no such
    // user (code 7), where a call with no identity at all is `user name is empty` (code 3).
    const nameless = kvClient(url, pki.nameless);
    expect(statusOf(await nameless.put('a/grpc'))).toEqual([7, 'etcdserver: permission denied']);
    expect(statusOf(await nameless.range('a/grpc'))).toEqual([7, 'etcdserver: permission denied']);
    expect(await nameless.put('b/grpc', rootToken)).toBeNull();
  });
});

describe('--trusted-ca-file without --client-cert-auth', () => {
  it('verifies certificates but does not take their CN as the user', async () => {
    const verifying = await startMember('verifying', false);
    await enableAuth(verifying);
    expect(errorOf(await put(verifying, 'a/1', pki.alice))).toEqual([400, 'etcdserver: user name is empty']);
    expect(statusOf(await kvClient(verifying, pki.alice).put('a/grpc'))).toEqual([3, 'etcdserver: user name is empty']);
  }, 30_000);
});
