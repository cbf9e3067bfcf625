/**
 * Three `cairn serve` processes with client and peer TLS, as docs/security.md deploys them:
 * https client URLs with --client-cert-auth, https peer URLs with --peer-client-cert-auth and
 * --peer-cert-allowed-cn. The CLI and curl reach every member with --cacert/--cert/--key; a
 * lease kept alive through a follower is forwarded to the leader over TLS; a forged peer (a
 * certificate from another CA) is refused, logged with its address and counted.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/commands/run-cli.js';
import { TcpTransport } from '../../src/transport/tcp-transport.js';
import { testPki, type TestPki } from '../tls/certs.js';
import { RecordingHandler } from '../transport/helpers.js';
import { freePort } from './processes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

interface TlsMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  proc?: ChildProcess;
  output: string;
}

let pki: TestPki;
let base: string;
const members: TlsMember[] = [];

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}: ${members.map((m) => `${m.name}: ${m.output.slice(-2000)}`).join('\n')}`);
}

const tlsFlags = () => ['--cacert', pki.file('ca'), '--cert', pki.file('alice'), '--key', pki.file('alice', 'key')];
const endpoints = () => members.map((m) => m.clientUrl).join(',');

beforeAll(async () => {
  pki = await testPki();
  base = mkdtempSync(join(tmpdir(), 'cairn-tls-e2e-'));
  for (let i = 1; i <= 3; i++) {
    members.push({ name: `infra${i}`, clientUrl: `https://127.0.0.1:${await freePort()}`, peerUrl: `https://127.0.0.1:${await freePort()}`, output: '' });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  for (const m of members) {
    const args = [
      '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve',
      '--name', m.name, '--data-dir', join(base, m.name),
      '--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl,
      '--initial-cluster', initialCluster, '--initial-cluster-token', 'tls-e2e',
      '--heartbeat-interval', '50', '--election-timeout', '500', '--log-level', 'warn',
      '--cert-file', pki.file('member'), '--key-file', pki.file('member', 'key'), '--trusted-ca-file', pki.file('ca'), '--client-cert-auth',
      '--peer-cert-file', pki.file('member'), '--peer-key-file', pki.file('member', 'key'), '--peer-trusted-ca-file', pki.file('ca'),
      '--peer-client-cert-auth', '--peer-cert-allowed-cn', 'member',
    ];
    const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    m.proc = proc;
    proc.stdout?.on('data', (d: Buffer) => (m.output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (m.output += d.toString()));
  }
  await waitUntil('a leader', async () => {
    const r = await runCli(['--endpoints', endpoints(), ...tlsFlags(), 'endpoint', 'status', '-w', 'json']);
    const statuses = JSON.parse(r.stdout) as { Status: { leader: number } }[];
    return r.code === 0 && statuses.length === 3 && statuses.every((s) => s.Status.leader !== 0);
  });
}, 120_000);

afterAll(async () => {
  await Promise.all(
    members.map(async (m) => {
      const proc = m.proc;
      if (proc === undefined || proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }),
  );
  rmSync(base, { recursive: true, force: true });
});

describe('a three-member cluster with client and peer TLS', () => {
  it('serves the CLI on every member and replicates over the TLS peer links', async () => {
    expect(await runCli(['--endpoints', members[0]!.clientUrl, ...tlsFlags(), 'put', 'secure/k', 'v1'])).toMatchObject({ code: 0, stdout: 'OK\n' });
    for (const m of members) {
      // Serializable: each member answers from its own copy, so this shows the write reached it.
      await waitUntil(`${m.name} to apply`, async () => (await runCli(['--endpoints', m.clientUrl, ...tlsFlags(), 'get', 'secure/k', '--consistency', 's'])).stdout === 'secure/k\nv1\n', 10_000);
    }
    const list = await runCli(['--endpoints', endpoints(), ...tlsFlags(), 'member', 'list']);
    expect(list.stdout.split('\n').filter((l) => l.includes('https://127.0.0.1')).length).toBe(3);
  }, 60_000);

  it('serves curl with --cacert --cert --key, and refuses it without a client certificate', async () => {
    const url = `${members[1]!.clientUrl}/v3/kv/range`;
    const { stdout } = await run('curl', ['-sS', '--cacert', pki.file('ca'), '--cert', pki.file('alice'), '--key', pki.file('alice', 'key'), '-X', 'POST', '-d', '{"key":"c2VjdXJlL2s="}', url]);
    expect(JSON.parse(stdout)).toMatchObject({ kvs: [{ value: Buffer.from('v1').toString('base64') }] });
    await expect(run('curl', ['-sS', '--cacert', pki.file('ca'), '-X', 'POST', '-d', '{}', url])).rejects.toThrow();
  });

  it('keeps a lease alive through every member (followers forward to the leader over TLS)', async () => {
    const grant = await runCli(['--endpoints', members[0]!.clientUrl, ...tlsFlags(), 'lease', 'grant', '30']);
    const id = /lease ([0-9a-f]+) granted/.exec(grant.stdout)?.[1];
    expect(id).toBeDefined();
    for (const m of members) {
      const r = await runCli(['--endpoints', m.clientUrl, ...tlsFlags(), 'lease', 'keep-alive', '--once', id!]);
      expect([m.name, r.code, r.stdout]).toEqual([m.name, 0, expect.stringMatching(new RegExp(`lease ${id} keepalived with TTL\\(30\\)`))]);
    }
  });

  it('refuses a forged peer (a certificate from another CA), logs its address and counts it', async () => {
    const forged = new TcpTransport({
      id: 0xbad,
      clusterId: 'anything',
      listenUrl: `https://127.0.0.1:0`,
      handler: new RecordingHandler(),
      tls: { cert: pki.stranger.cert, key: pki.stranger.key, ca: pki.ca.cert },
      backoff: { minMs: 20, maxMs: 100 },
    });
    await forged.start();
    try {
      forged.addPeer(1, [members[0]!.peerUrl]);
      forged.send([{ type: 'MsgHeartbeat', from: 0xbad, to: 1, term: 99, commit: 0, context: new Uint8Array() }]);
      await waitUntil('the refusal in the log', async () => /TLS handshake with a peer failed.*\(from 127\.0\.0\.1:\d+\)/.test(members[0]!.output), 20_000);
      await waitUntil('the refusal in the metric', async () => {
        const { stdout } = await run('curl', ['-sS', '--cacert', pki.file('ca'), '--cert', pki.file('alice'), '--key', pki.file('alice', 'key'), `${members[0]!.clientUrl}/metrics`]);
        const m = /cairn_network_peer_rejected_total\{reason="handshake"\} (\d+)/.exec(stdout);
        return m !== null && Number(m[1]) >= 1;
      }, 20_000);
    } finally {
      await forged.stop();
    }
  }, 60_000);
});
