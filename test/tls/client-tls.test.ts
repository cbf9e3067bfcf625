/**
 * Client TLS on a real member (issue 16): an https:// client URL serves the gateway (curl,
 * the cairn client) and gRPC (ALPN h2) on one port; with --client-cert-auth handshakes without
 * a certificate, with one from another CA, or with an expired one are refused; a client that
 * does not trust the member's CA is refused in etcdctl's words; the Host check does not apply to
 * HTTPS; certificates are reloaded when their files change.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { Client } from '../../src/client/client.js';
import { runCli } from '../../src/cli/commands/run-cli.js';
import { buildApp } from '../../src/http/app.js';
import { clientCertCommonName } from '../../src/http/client-cert.js';
import { tlsFetch } from '../../src/util/tls-fetch.js';
import { FakeService } from '../http/fake-service.js';
import { startNode, type CairnNode } from '../../src/index.js';
import { freePort } from '../e2e/processes.js';
import { testPki, type TestPki } from './certs.js';

const run = promisify(execFile);

let pki: TestPki;
let node: CairnNode;
let url: string;
let dir: string;
let certFile: string;
let keyFile: string;

beforeAll(async () => {
  pki = await testPki();
  dir = mkdtempSync(join(tmpdir(), 'cairn-client-tls-'));
  // Copies: the reload test rewrites them.
  certFile = join(dir, 'server.pem');
  keyFile = join(dir, 'server-key.pem');
  copyFileSync(pki.file('member'), certFile);
  copyFileSync(pki.file('member', 'key'), keyFile);
  const port = await freePort();
  url = `https://127.0.0.1:${port}`;
  node = await startNode({
    http: true,
    logger: false,
    dataDir: join(dir, 'data'),
    listenClientUrls: [url],
    advertiseClientUrls: [url],
    listenPeerUrls: [`http://127.0.0.1:${await freePort()}`],
    clientTls: { certFile, keyFile, trustedCaFile: pki.file('ca'), clientCertAuth: true },
  });
}, 30_000);

afterAll(async () => {
  await node?.close();
  rmSync(dir, { recursive: true, force: true });
});

const aliceTls = () => ({ ca: pki.ca.cert, cert: pki.alice.cert, key: pki.alice.key });

/** One HTTPS request; resolves with status and body, rejects with the handshake error. */
function get(path: string, o: { cert?: string; key?: string; ca?: string; host?: string; maxVersion?: 'TLSv1.2' }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method: 'GET', ca: o.ca ?? pki.ca.cert, cert: o.cert, key: o.key, maxVersion: o.maxVersion, headers: o.host ? { host: o.host } : {} }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('client TLS with --client-cert-auth', () => {
  it('serves the cairn client with a CA and a client certificate', async () => {
    const client = new Client({ endpoints: [url], tls: aliceTls(), retryRounds: 1 });
    await client.put({ key: new TextEncoder().encode('tls/a'), value: new TextEncoder().encode('1') });
    const r = await client.range({ key: new TextEncoder().encode('tls/a') });
    expect(new TextDecoder().decode(r.kvs?.[0]?.value)).toBe('1');
  });

  it('serves curl (which offers h2 and http/1.1) on the gateway, with any Host under TLS', async () => {
    const { stdout } = await run('curl', [
      '-sS', '--cacert', pki.file('ca'), '--cert', pki.file('alice'), '--key', pki.file('alice', 'key'),
      '-H', 'Host: evil.example', '-X', 'POST', '-d', '{"key":"dGxzL2E="}', `${url}/v3/kv/range`,
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ kvs: [{ key: 'dGxzL2E=', value: 'MQ==' }] });
  });

  it('serves gRPC (ALPN h2) on the same port', async () => {
    const grpc = new Etcd3({
      hosts: [url],
      credentials: { rootCertificate: Buffer.from(pki.ca.cert), certChain: Buffer.from(pki.alice.cert), privateKey: Buffer.from(pki.alice.key) },
    });
    try {
      expect(await grpc.get('tls/a').string()).toBe('1');
    } finally {
      grpc.close();
    }
  });

  it.each([
    ['no client certificate', {}],
    ['a certificate from another CA', { cert: 'stranger' as const }],
    ['an expired certificate', { cert: 'expired' as const }],
  ])('refuses the handshake with %s', async (_what, o: { cert?: 'stranger' | 'expired' }) => {
    const pem = o.cert === undefined ? {} : { cert: pki[o.cert].cert, key: pki[o.cert].key };
    await expect(get('/version', pem)).rejects.toThrow();
  });

  it('a client that does not trust the member\'s CA fails in etcdctl\'s words, never sending the request', async () => {
    const client = new Client({ endpoints: [url], tls: { ca: pki.otherCa.cert, cert: pki.alice.cert, key: pki.alice.key }, retryRounds: 1, timeoutMs: 3000 });
    await expect(client.range({ key: new TextEncoder().encode('tls/a') })).rejects.toThrow(
      `connection error: desc = "transport: authentication handshake failed: x509: certificate signed by unknown authority" (${url})`,
    );
  });

  it('serves the CLI with etcdctl\'s --cacert --cert --key, and --insecure-skip-tls-verify', async () => {
    const tls = ['--cacert', pki.file('ca'), '--cert', pki.file('alice'), '--key', pki.file('alice', 'key')];
    expect(await runCli(['--endpoints', url, ...tls, 'put', 'tls/cli', 'v'])).toMatchObject({ code: 0, stdout: 'OK\n' });
    expect(await runCli(['--endpoints', url, ...tls, 'get', 'tls/cli'])).toMatchObject({ code: 0, stdout: 'tls/cli\nv\n' });
    const skip = ['--insecure-skip-tls-verify', '--cert', pki.file('alice'), '--key', pki.file('alice', 'key')];
    expect(await runCli(['--endpoints', url, ...skip, 'get', 'tls/cli'])).toMatchObject({ code: 0, stdout: 'tls/cli\nv\n' });
    const untrusted = await runCli(['--endpoints', url, '--cert', pki.file('alice'), '--key', pki.file('alice', 'key'), 'get', 'tls/cli']);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toContain('x509: certificate signed by unknown authority');
    const missing = await runCli(['--endpoints', url, '--cacert', join(dir, 'nope.pem'), 'get', 'tls/cli']);
    expect(missing.stderr).toContain(`open ${join(dir, 'nope.pem')}: no such file or directory`);
  });

  it('refuses plain HTTP on the TLS port', async () => {
    await expect(fetch(url.replace('https:', 'http:') + '/version', { signal: AbortSignal.timeout(3000) })).rejects.toThrow();
  });

  it('reloads the certificate when its files change, without a restart', async () => {
    // The member's certificate is replaced by one from another CA: new handshakes present it.
    copyFileSync(pki.file('otherMember', 'key'), keyFile);
    copyFileSync(pki.file('otherMember'), certFile);
    const otherTrust = { ca: pki.otherCa.cert, cert: pki.alice.cert, key: pki.alice.key };
    const deadline = Date.now() + 10_000;
    let answered: { status: number } | undefined;
    while (answered === undefined && Date.now() < deadline) {
      answered = await get('/version', otherTrust).catch(() => undefined);
      if (answered === undefined) await new Promise((r) => setTimeout(r, 200));
    }
    expect(answered?.status).toBe(200);
    await expect(get('/version', aliceTls())).rejects.toThrow();
    copyFileSync(pki.file('member', 'key'), keyFile);
    copyFileSync(pki.file('member'), certFile);
  }, 15_000);
});

describe('clientCertCommonName (the user a certificate names, for auth)', () => {
  async function whoami(identity: boolean, pem: { cert: string; key: string }): Promise<string> {
    const app = buildApp({
      service: new FakeService(),
      https: { cert: pki.member.cert, key: pki.member.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true },
      clientCertIdentity: identity,
    });
    app.get('/whoami', async (req) => clientCertCommonName(req) ?? '(none)');
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (app.server.address() as AddressInfo).port;
      const res = await fetchWith(`https://127.0.0.1:${port}/whoami`, { ca: pki.ca.cert, ...pem });
      return res;
    } finally {
      await app.close();
    }
  }

  it('is the verified certificate\'s CN with --client-cert-auth, and nothing without it', async () => {
    expect(await whoami(true, pki.alice)).toBe('alice');
    expect(await whoami(false, pki.alice)).toBe('(none)');
  });
});

async function fetchWith(target: string, tls: { ca: string; cert: string; key: string }): Promise<string> {
  const res = await tlsFetch(tls)(target);
  return res.text();
}
