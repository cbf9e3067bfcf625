/**
 * A client certificate without a CN on gRPC, --client-cert-auth and auth on: cairn and etcd 3.4
 * (where /usr/bin/etcd is installed) given the same certificates and the same calls answer alike.
 * etcd takes the empty CN as the user "": key calls fail `7 permission denied` (no such user),
 * user administration `3 user name is empty`; a call that names no key is served.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, loadPackageDefinition, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode } from '../../src/index.js';
import { freePort } from '../e2e/processes.js';
import { ETCD } from '../grpc/servers.js';
import { testPki, type Pem, type TestPki } from './certs.js';

type Ctor = new (address: string, creds: ReturnType<typeof credentials.createSsl>) => Client;
type UnaryFn = (r: object, md: Metadata, cb: (e: ServiceError | null) => void) => void;
const pb = (
  loadPackageDefinition(loadSync('rpc.proto', { includeDirs: [new URL('../../proto/', import.meta.url).pathname], keepCase: true, longs: String })) as unknown as {
    etcdserverpb: Record<string, Ctor>;
  }
).etcdserverpb;

let pki: TestPki;
let dir: string;
const stops: Array<() => Promise<void>> = [];

/** One call over TLS with certificate `as`: `OK`, or the status code and text. */
async function call(host: string, as: Pem, service: string, method: string, req: object): Promise<string> {
  const client = new (pb[service] as Ctor)(host, credentials.createSsl(Buffer.from(pki.ca.cert), Buffer.from(as.key), Buffer.from(as.cert)));
  try {
    return await new Promise((resolve) =>
      ((client as unknown as Record<string, UnaryFn>)[method] as UnaryFn).call(client, req, new Metadata(), (e) => resolve(e === null ? 'OK' : `${e.code} ${e.details}`)),
    );
  } finally {
    client.close();
  }
}

async function startCairn(): Promise<string> {
  const url = `https://127.0.0.1:${await freePort()}`;
  const node = await startNode({
    http: true, logger: false, dataDir: join(dir, 'cairn'), listenClientUrls: [url], advertiseClientUrls: [url], listenPeerUrls: [`http://127.0.0.1:${await freePort()}`],
    clientTls: { certFile: pki.file('member'), keyFile: pki.file('member', 'key'), trustedCaFile: pki.file('ca'), clientCertAuth: true },
  });
  stops.push(() => node.close());
  return new URL(url).host;
}

async function startEtcd(): Promise<string> {
  const client = `https://127.0.0.1:${await freePort()}`;
  const peer = `http://127.0.0.1:${await freePort()}`;
  const proc = spawn(ETCD, [
    '--data-dir', join(dir, 'etcd'), '--listen-client-urls', client, '--advertise-client-urls', client, '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer, '--initial-cluster', `default=${peer}`, '--cert-file', pki.file('member'),
    '--key-file', pki.file('member', 'key'), '--trusted-ca-file', pki.file('ca'), '--client-cert-auth', '--log-level', 'error', '--logger', 'zap',
  ], { stdio: 'ignore' });
  stops.push(async () => {
    if (proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  });
  const host = new URL(client).host;
  const deadline = Date.now() + 30_000;
  while ((await call(host, pki.nameless, 'Maintenance', 'Status', {})) !== 'OK') {
    if (Date.now() > deadline) throw new Error(`etcd on ${host} did not answer`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return host;
}

/** root with the root role, then auth on; a CN-less certificate may do this while auth is off. */
async function enableAuth(host: string): Promise<void> {
  for (const [method, req] of [['UserAdd', { name: 'root', password: 'rootpw' }], ['RoleAdd', { name: 'root' }], ['UserGrantRole', { user: 'root', role: 'root' }], ['AuthEnable', {}]] as const) {
    expect([method, await call(host, pki.nameless, 'Auth', method, req)]).toEqual([method, 'OK']);
  }
}

/** What a CN-less certificate gets for each call. */
async function namelessAnswers(host: string): Promise<Record<string, string>> {
  const calls = [
    ['Put', 'KV', 'Put', { key: Buffer.from('a/1'), value: Buffer.from('v') }],
    ['Range', 'KV', 'Range', { key: Buffer.from('a/1') }],
    ['DeleteRange', 'KV', 'DeleteRange', { key: Buffer.from('a/1') }],
    ['Txn', 'KV', 'Txn', { success: [{ request_put: { key: Buffer.from('a/1'), value: Buffer.from('v') } }] }],
    ['Txn (empty)', 'KV', 'Txn', {}],
    ['UserList', 'Auth', 'UserList', {}],
    ['RoleAdd', 'Auth', 'RoleAdd', { name: 'r' }],
  ] as const;
  const out: Record<string, string> = {};
  for (const [label, service, method, req] of calls) out[label] = await call(host, pki.nameless, service, method, req);
  return out;
}

const EXPECTED = {
  Put: '7 etcdserver: permission denied',
  Range: '7 etcdserver: permission denied',
  DeleteRange: '7 etcdserver: permission denied',
  Txn: '7 etcdserver: permission denied',
  'Txn (empty)': 'OK',
  UserList: '3 etcdserver: user name is empty',
  RoleAdd: '3 etcdserver: user name is empty',
};

beforeAll(async () => {
  pki = await testPki();
  dir = mkdtempSync(join(tmpdir(), 'cairn-cn-less-'));
}, 30_000);

afterAll(async () => {
  for (const stop of stops.splice(0)) await stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a CN-less client certificate on gRPC with --client-cert-auth and auth on', () => {
  it('cairn answers as etcd 3.4.23: 7 on keys, 3 where a user name is needed', async () => {
    const host = await startCairn();
    await enableAuth(host);
    expect(await namelessAnswers(host)).toEqual(EXPECTED);
  }, 30_000);

  it('etcd answers the same', async (t) => {
    if (!existsSync(ETCD)) {
      console.log(`skipping the etcd comparison: ${ETCD} is not installed`);
      return t.skip();
    }
    const host = await startEtcd();
    await enableAuth(host);
    expect(await namelessAnswers(host)).toEqual(EXPECTED);
  }, 60_000);
});
