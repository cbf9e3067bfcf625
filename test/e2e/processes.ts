/**
 * Real `cairn serve` processes on 127.0.0.1 for end-to-end tests. Ports come from the OS (bound
 * and released just before use); every process is stopped by its own PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

export interface ProcMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  proc: ChildProcess | undefined;
  output: string;
}

export interface ProcCluster {
  readonly members: ProcMember[];
  start(m: ProcMember): Promise<void>;
  kill(m: ProcMember, signal?: NodeJS.Signals): Promise<void>;
  stopAll(): Promise<void>;
}

export async function startProcCluster(size: number, token = 'e2e'): Promise<ProcCluster> {
  const base = mkdtempSync(join(tmpdir(), 'cairn-e2e-'));
  const members: ProcMember[] = [];
  for (let i = 1; i <= size; i++) {
    members.push({
      name: `infra${i}`,
      clientUrl: `http://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: join(base, `infra${i}`),
      proc: undefined,
      output: '',
    });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');

  const start = async (m: ProcMember): Promise<void> => {
    const args = [
      '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve',
      '--name', m.name, '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl,
      '--initial-cluster', initialCluster, '--initial-cluster-token', token,
      '--heartbeat-interval', '50', '--election-timeout', '500', '--log-level', 'warn',
    ];
    const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    m.proc = proc;
    m.output = '';
    proc.stdout?.on('data', (d: Buffer) => (m.output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (m.output += d.toString()));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`${m.name} exited ${proc.exitCode}: ${m.output}`);
      try {
        const r = await fetch(`${m.clientUrl}/version`);
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${m.name} did not start: ${m.output}`);
  };

  const kill = async (m: ProcMember, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const proc = m.proc;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    await exited;
    m.proc = undefined;
  };

  await Promise.all(members.map(start));
  return {
    members,
    start,
    kill,
    stopAll: async () => {
      await Promise.all(members.map((m) => kill(m, 'SIGTERM')));
      rmSync(base, { recursive: true, force: true });
    },
  };
}

export async function gateway(url: string, path: string, body: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  return { status: r.status, json: await r.json() };
}
