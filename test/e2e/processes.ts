/**
 * Real `cairn serve` processes on 127.0.0.1 for end-to-end tests. Ports come from a reserved range
 * (see freePort); every process is stopped by its own PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Reserved loopback ports for servers a test starts by address (a cluster's members must know each
 * other's URLs before any of them listens). They lie below the kernel's ephemeral range
 * (32768-60999 on Linux), so no outgoing connection's local port can take one between this probe
 * and the server's own bind: asking the OS for port 0 and releasing it did race that way (CI
 * failed once on EADDRINUSE). Each vitest worker draws from its own slice, so parallel files
 * never hand out the same port; a process outside vitest (a chaos run, a bench) draws from one of
 * the other slices by its PID, so a bench run beside a chaos run rarely shares its slice. The
 * probe skips ports something else holds.
 */
const RESERVED_FIRST = 20_000;
const SLICE = 300;
const VITEST_SLICES = 16;
const OTHER_SLICES = 24; // 20000 + 40 × 300 = 32000, below the ephemeral range
const vitestWorker = process.env['VITEST_POOL_ID'] ?? process.env['VITEST_WORKER_ID'];
const workerSlot = vitestWorker !== undefined ? (Number(vitestWorker) || 0) % VITEST_SLICES : VITEST_SLICES + (process.pid % OTHER_SLICES);
let nextOffset = Math.floor(Math.random() * SLICE);

function bindable(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const srv = createServer();
    srv.once('error', () => ok(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => ok(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let tried = 0; tried < SLICE; tried++) {
    const port = RESERVED_FIRST + workerSlot * SLICE + (nextOffset++ % SLICE);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port in the reserved slice of worker ${workerSlot}`);
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
