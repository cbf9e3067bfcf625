/**
 * docs/security.md's "A secure deployment, step by step" runs as written: its openssl lines
 * make the certificates, its three `cairn serve` lines start a cluster with client and peer
 * TLS, and its CLI and curl lines answer. Only the ports are swapped for free ones and
 * `npx cairn` for `node bin/cairn.mjs` (what npx runs), so each member is stopped by its PID.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../e2e/processes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const exec = promisify(execFile);
const tools = ['curl', 'openssl'].every((t) => spawnSync(t, ['version']).error === undefined);
if (!tools) console.warn('security-walkthrough: curl or openssl is not installed; skipping');

/** The `sh` blocks of the walkthrough, each as its lines. */
function walkthroughBlocks(): string[][] {
  const doc = readFileSync(join(ROOT, 'docs/security.md'), 'utf8');
  const from = doc.indexOf('## A secure deployment, step by step');
  const section = doc.slice(from, doc.indexOf('\n## ', from + 1));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => (m[1] as string).split('\n').filter((l) => l.trim() !== ''));
}

const dir = mkdtempSync(join(tmpdir(), 'cairn-security-doc-'));
const members: ChildProcess[] = [];
afterAll(async () => {
  await Promise.all(
    members.map(async (p) => {
      if (p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }),
  );
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!tools)('docs/security.md walkthrough', () => {
  it('makes the certificates, starts three TLS members and reaches them with the CLI and curl', async () => {
    const blocks = walkthroughBlocks();
    expect(blocks.map((b) => b.length)).toEqual([3, 3, 5]);
    const ports = new Map<string, string>();
    for (const p of ['12379', '22379', '32379', '12380', '22380', '32380']) ports.set(`127.0.0.1:${p}`, `127.0.0.1:${await freePort()}`);
    const adapt = (line: string): string => {
      let out = line.replaceAll('npx cairn', `node ${join(ROOT, 'bin/cairn.mjs')}`);
      for (const [from, to] of ports) out = out.replaceAll(from, to);
      return out;
    };
    const sh = async (line: string) => exec('bash', ['-c', adapt(line)], { cwd: dir, encoding: 'utf8', timeout: 30_000 });

    for (const line of blocks[0]!) await sh(line);

    for (const line of blocks[1]!) {
      expect(line.endsWith(' &')).toBe(true);
      const proc = spawn('bash', ['-c', `exec ${adapt(line.slice(0, -2))}`], { cwd: dir, stdio: 'ignore' });
      members.push(proc);
    }

    const [health, put, get, curlPlain, curlRange] = blocks[2]!;
    // Wait with curl (fast) until every member reports a leader, then run the doc's lines once each.
    const deadline = Date.now() + 120_000;
    const probe = (port: string) => sh(`curl -s --max-time 5 --cacert ca.pem --cert alice.pem --key alice-key.pem https://127.0.0.1:${port}/health`).then((r) => r.stdout, () => '');
    for (;;) {
      const answers = await Promise.all(['12379', '22379', '32379'].map(probe));
      if (answers.every((a) => a.includes('"health":"true"'))) break;
      expect(members.every((p) => p.exitCode === null) && Date.now() < deadline, readFileSync(join(dir, 'infra1.log'), 'utf8').slice(-2000)).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
    }
    // As etcdctl, `endpoint health` reports on stderr.
    expect((await sh(health!)).stderr.match(/is healthy/g)).toHaveLength(3);
    expect((await sh(put!)).stdout).toBe('OK\n');
    expect((await sh(get!)).stdout).toBe('greeting\nhello\n');
    expect((await sh(curlPlain!)).stdout).toBe('hello');
    expect(JSON.parse((await sh(curlRange!)).stdout)).toMatchObject({ kvs: [{ key: 'Z3JlZXRpbmc=', value: 'aGVsbG8=' }] });
    // The same curl without a client certificate fails its handshake.
    await expect(sh(curlPlain!.replace('--cert alice.pem --key alice-key.pem ', ''))).rejects.toThrow();
  }, 240_000);
});
