/**
 * Real clusters for the benches: cairn (the built `dist/`) or etcd (Debian's `etcd-server`), as
 * processes on 127.0.0.1 with fresh data dirs in a temp dir, each stopped by its own PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../test/e2e/processes.js';

const ROOT = resolve(import.meta.dirname, '..');

export type Kind = 'cairn' | 'etcd';

export interface BenchCluster {
  readonly kind: Kind;
  readonly urls: string[];
  readonly pids: number[];
  stop(): Promise<void>;
}

export const hasEtcd = (): boolean => spawnSync('etcd', ['--version']).status === 0;

export function etcdVersion(): string {
  return hasEtcd() ? (spawnSync('etcd', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '') : 'not installed';
}

async function waitHealthy(url: string, procs: ChildProcess[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (procs.some((p) => p.exitCode !== null)) throw new Error('a member exited during start');
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not healthy`);
}

/** `nodeArgs`: extra node flags for cairn members (e.g. `--cpu-prof`). */
export async function startCluster(kind: Kind, members: number, nodeArgs: readonly string[] = []): Promise<BenchCluster> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${kind}-`));
  const nodes = [];
  for (let i = 1; i <= members; i++) {
    nodes.push({ name: `m${i}`, client: `http://127.0.0.1:${await freePort()}`, peer: `http://127.0.0.1:${await freePort()}` });
  }
  const initial = nodes.map((n) => `${n.name}=${n.peer}`).join(',');
  const procs = nodes.map((n) => {
    const flags = [
      '--name', n.name, '--data-dir', join(dir, n.name),
      '--listen-client-urls', n.client, '--advertise-client-urls', n.client,
      '--listen-peer-urls', n.peer, '--initial-advertise-peer-urls', n.peer,
      '--initial-cluster', initial, '--initial-cluster-token', `bench-${kind}`, '--initial-cluster-state', 'new',
    ];
    return kind === 'etcd'
      ? spawn('etcd', flags, { stdio: 'ignore' })
      : spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist/src/cli/main.js'), 'serve', ...flags, '--log-level', 'error'], { stdio: 'ignore' });
  });
  try {
    for (const n of nodes) await waitHealthy(n.client, procs);
  } catch (err) {
    // A member that failed to start must not leave the others running.
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    kind,
    urls: nodes.map((n) => n.client),
    pids: procs.map((p) => p.pid as number),
    stop: async () => {
      await Promise.all(procs.map((p) => new Promise<void>((r) => {
        if (p.exitCode !== null) return r();
        p.once('exit', () => r());
        p.kill('SIGTERM');
      })));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The index in `urls` of the member that reports itself leader (via /v3/maintenance/status). */
export async function leaderIndex(c: BenchCluster): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    for (let i = 0; i < c.urls.length; i++) {
      const r = await fetch(`${c.urls[i]}/v3/maintenance/status`, { method: 'POST', body: '{}' }).then((x) => x.json() as Promise<{ leader?: string; header?: { member_id?: string } }>, () => undefined);
      if (r?.leader !== undefined && r.leader === r.header?.member_id) return i;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${c.kind}: no leader`);
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after "(comm) ": state is [0], utime is field 14 of stat → index 11, stime → 12.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ is 100 on Linux
}
