/**
 * `npm run cluster` (scripts/cluster.ts): three members on one terminal, shifted to free ports
 * with --base-port; they serve, and SIGINT stops all three and the script exits 0.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gateway } from './processes.js';

const ROOT = resolve(import.meta.dirname, '../..');

function portFree(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const srv = createServer();
    srv.once('error', () => ok(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => ok(true)));
  });
}

/** A base port whose six derived ports (clients base, +20000, +30000; peers +10001, +20001, +30001) are free. */
async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 12000 + Math.floor(Math.random() * 20000);
    const ports = [base, base + 20000, base + 30000, base + 10001, base + 20001, base + 30001];
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

describe('npm run cluster', () => {
  it('starts three members that serve one cluster, and Ctrl-C stops them all', async () => {
    const base = await freeBase();
    const cwd = mkdtempSync(join(tmpdir(), 'cairn-cluster-'));
    // Run where a user would keep the data: a directory of its own (the script writes ./infraN.cairn there).
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'scripts/cluster.ts'), '--base-port', String(base), '--log-level', 'error'], {
      cwd,
      env: { ...process.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const urls = [base, base + 20000, base + 30000].map((p) => `http://127.0.0.1:${p}`);
    try {
      const deadline = Date.now() + 90_000;
      for (const url of urls) {
        for (;;) {
          const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
          if (ok) break;
          if (Date.now() > deadline || child.exitCode !== null) throw new Error(`cluster did not start:\n${output}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      const b64 = (s: string) => Buffer.from(s).toString('base64');
      expect((await gateway(urls[1] as string, '/v3/kv/put', { key: b64('c'), value: b64('1') })).status).toBe(200);
      const read = await gateway(urls[2] as string, '/v3/kv/range', { key: b64('c') });
      expect(read.json.kvs[0].value).toBe(b64('1'));
      const members = await gateway(urls[0] as string, '/v3/cluster/member/list', {});
      expect(members.json.members.map((m: { name: string }) => m.name).sort()).toEqual(['infra1', 'infra2', 'infra3']);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      for (const n of [1, 2, 3]) expect(existsSync(join(cwd, `infra${n}.cairn`))).toBe(true);
      for (const url of urls) expect(await fetch(`${url}/health`).then(() => 'up', () => 'down')).toBe('down');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 150_000);
});
