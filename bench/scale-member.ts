/**
 * One member (cairn's built `dist/` or etcd) as a process on 127.0.0.1 for bench/scale.ts, with the
 * controls that bench needs and bench/clusters.ts does not offer: kill -9 and restart on the same
 * data dir, resident memory and bytes on disk. Every process is stopped by its own PID.
 */
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../test/e2e/processes.js';
import type { Kind } from './clusters.js';

// CAIRN_BENCH_ROOT: another checkout's build (`dist/`), to compare a change against its base in one run.
const ROOT = process.env['CAIRN_BENCH_ROOT'] ?? resolve(import.meta.dirname, '..');

export interface ScaleMember {
  readonly kind: Kind;
  readonly url: string;
  readonly dataDir: string;
  pid(): number;
  /**
   * kill -9, then start again on the same data dir; resolves once the process is spawned. `root`:
   * another checkout's build to start this time (an A/B of restart on one data dir).
   */
  killAndRestart(root?: string): Promise<void>;
  stop(): Promise<void>;
}

function exited(p: ChildProcess): Promise<void> {
  return new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));
}

/**
 * `nodeArgs`: extra node flags for cairn (e.g. `--cpu-prof`), used on every start; `root`: the
 * checkout whose `dist/` runs (another build of cairn, to compare two versions in one run).
 */
export async function startScaleMember(kind: Kind, nodeArgs: readonly string[] = [], root = ROOT): Promise<ScaleMember> {
  const dir = mkdtempSync(join(tmpdir(), `scale-${kind}-`));
  const dataDir = join(dir, 'm1');
  const url = `http://127.0.0.1:${await freePort()}`;
  const peer = `http://127.0.0.1:${await freePort()}`;
  const flags = [
    '--name', 'm1', '--data-dir', dataDir,
    '--listen-client-urls', url, '--advertise-client-urls', url,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `m1=${peer}`, '--initial-cluster-token', `scale-${kind}`, '--initial-cluster-state', 'new',
    // Both default to a 2 GiB quota; a million 256-byte values need more headroom than that on etcd.
    '--quota-backend-bytes', String(8 * 2 ** 30),
  ];
  const launch = (from = root): ChildProcess =>
    kind === 'etcd'
      ? spawn('etcd', flags, { stdio: 'ignore' })
      : spawn(process.execPath, [...nodeArgs, join(from, 'dist/src/cli/main.js'), 'serve', ...flags, '--log-level', 'error'], { stdio: 'ignore' });
  let proc = launch();
  return {
    kind,
    url,
    dataDir,
    pid: () => proc.pid as number,
    killAndRestart: async (from?: string) => {
      proc.kill('SIGKILL');
      await exited(proc);
      proc = launch(from);
    },
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited(proc);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Resident set size of a process (or its peak so far, `VmHWM`), from /proc (Linux). `RssAnon` is
 * the part that is the process's own memory; `RssFile` is file pages it maps (LevelDB maps its
 * table files to read them), which the kernel drops under pressure.
 */
export function rssBytes(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile' = 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? NaN) * 1024;
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** Closes the kept-alive client sockets so the bench can exit. */
export const closeClient = (): void => agent.destroy();

/** One JSON POST over a kept-alive connection (the same client code for etcd and cairn). */
export function post(url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `post` that must answer 200, parsed. */
export async function ok(url: string, body: string): Promise<Record<string, unknown>> {
  const r = await post(url, body);
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${r.text.slice(0, 200)}`);
  return JSON.parse(r.text) as Record<string, unknown>;
}

/** Waits until a linearizable range answers: the member has a leader and has applied its log. */
export async function waitReady(m: ScaleMember, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await post(`${m.url}/v3/kv/range`, JSON.stringify({ key: Buffer.from('scale/ready').toString('base64') })).catch(() => undefined);
    if (r?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${m.kind} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Bytes of the files under `dir` (apparent sizes, like `du -sb`). A file LevelDB deletes between
 * the listing and its stat (an old log or table, after a compaction) counts as gone.
 */
export function diskBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? diskBytes(p) : (statSync(p, { throwIfNoEntry: false })?.size ?? 0);
  }
  return total;
}

/**
 * Puts keys 0..count-1 (named by `keyOf`) with random values, `txnPuts` to a txn and `inFlight`
 * txns at a time, through `send` (a POST returning the parsed answer); returns the highest header
 * revision seen. The one bulk loader of bench:scale and bench:compaction, so both load alike.
 */
export async function putKeys(
  url: string,
  o: { count: number; keyOf: (i: number) => string; valueBytes: number; send: (url: string, body: string) => Promise<Record<string, unknown>>; txnPuts?: number; inFlight?: number },
): Promise<number> {
  const txnPuts = o.txnPuts ?? 100;
  let next = 0;
  let head = 0;
  await Promise.all(Array.from({ length: o.inFlight ?? 8 }, async () => {
    while (next < o.count) {
      const from = next;
      next = Math.min(o.count, next + txnPuts);
      const success = [];
      for (let i = from; i < next; i++) success.push({ request_put: { key: Buffer.from(o.keyOf(i)).toString('base64'), value: randomBytes(o.valueBytes).toString('base64') } });
      const res = await o.send(`${url}/v3/kv/txn`, JSON.stringify({ success }));
      head = Math.max(head, Number((res['header'] as { revision: string }).revision));
    }
  }));
  return head;
}
