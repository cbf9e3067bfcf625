/**
 * One measurement of a new member catching up by snapshot (issue 18), for bench:join
 * (bench/snapshot-join.ts) and bench:scale's snapshot rows (bench/scale.ts): a 2-member cluster
 * (cairn's built `dist/` or etcd) is loaded with N keys of 256 random bytes, its log is pushed past
 * the catch-up entries both keep after a snapshot (5,000) so the leader can only send a snapshot,
 * then a 3rd member is added (`member add`, then started with `--initial-cluster-state existing`).
 * Measured on the joining member, from its spawn until a serializable read on it sees the last key
 * written before it joined:
 *
 * - catch-up time, and the leader's backend size (status `dbSize`) over it, as MB/s (10^6 B);
 * - the longest answer to `GET /version` probes sent every 10 ms (its event loop held: what every
 *   other request on it waits);
 * - for cairn, the longest event-loop delay over the catch-up, from its `/metrics`
 *   (`nodejs_eventloop_lag_max_seconds`, which prom-client resets on every scrape): the Ready loop
 *   runs on that loop, so no Ready-loop turn was held longer by work on the thread;
 * - its peak RSS above its RSS when it first answered.
 *
 * cairn members log at info level to files in the run's temp dir, and the joiner's catch-up is
 * split by their lines: its boot (spawn to "member started"), the wait until a leader sends the
 * snapshot ("sending snapshot": the leader's dial backoff towards a peer that was not up yet),
 * and the transfer with its install ("installed snapshot from leader"). snapshot-join-phases.ts cuts
 * it finer, with RSS and stalls per phase, from the same logs, the probe's RSS samples and
 * bench/loop-watch.mjs, which every cairn member gets preloaded (its files go to the run's dir).
 * CAIRN_BENCH_KEEP_LOGS=<dir> keeps the members' logs and loop-watch files of each run there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../test/e2e/processes.js';
import type { Kind } from './clusters.js';
import { putKeys, rssBytes } from './scale-member.js';
import { joinPhases, type PhaseRow } from './snapshot-join-phases.js';

const ROOT = resolve(import.meta.dirname, '..');
const TXN_PUTS = 100;
const IN_FLIGHT = 8;
export const JOIN_VALUE_BYTES = 256;
/** Entries written after the load: past both members' 5,000 catch-up entries and a snapshot. */
export const JOIN_TICKS = 6500;

const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

/** Closes the kept-alive client sockets so the bench can exit. */
export const closeJoinClient = (): void => agent.destroy();

function post(url: string, body: string, timeoutMs = 60_000): Promise<{ status: number; text: string }> {
  return new Promise((resolveP, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, timeout: timeoutMs, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolveP({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

async function ok(url: string, body: string): Promise<Record<string, unknown>> {
  const r = await post(url, body);
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${r.text.slice(0, 200)}`);
  return JSON.parse(r.text) as Record<string, unknown>;
}

/** Milliseconds a `GET /version` takes, or undefined when it fails (not listening yet). */
function probe(url: string): Promise<number | undefined> {
  const t0 = performance.now();
  return new Promise((resolveP) => {
    // A fresh connection each time (no agent): a probe never queues behind another request.
    const req = httpRequest(`${url}/version`, { timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolveP(res.statusCode === 200 ? performance.now() - t0 : undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolveP(undefined));
    req.end();
  });
}

/** cairn's longest event-loop delay since the previous scrape (prom-client resets it on each), ms. */
async function loopLagMaxMs(url: string): Promise<number | undefined> {
  const r = await fetch(`${url}/metrics`).catch(() => undefined);
  if (r?.status !== 200) return undefined;
  const line = (await r.text()).split('\n').find((l) => l.startsWith('nodejs_eventloop_lag_max_seconds'));
  const v = Number(line?.split(/\s+/)[1]);
  return Number.isFinite(v) ? v * 1000 : undefined;
}

interface Node {
  readonly name: string;
  readonly client: string;
  readonly peer: string;
}

/** A cairn member's preload logging its event-loop stalls over 40 ms (bench/loop-watch.mjs), into the run's dir. */
const LOOP_WATCH = join(ROOT, 'bench/loop-watch.mjs');

function launch(kind: Kind, dir: string, n: Node, initial: string, state: 'new' | 'existing', nodeArgs: readonly string[], cairnRoot = ROOT): ChildProcess {
  const flags = [
    '--name', n.name, '--data-dir', join(dir, n.name),
    '--listen-client-urls', n.client, '--advertise-client-urls', n.client,
    '--listen-peer-urls', n.peer, '--initial-advertise-peer-urls', n.peer,
    '--initial-cluster', initial, '--initial-cluster-token', `join-${kind}`, '--initial-cluster-state', state,
    '--snapshot-count', '1000', '--quota-backend-bytes', String(8 * 2 ** 30),
  ];
  return kind === 'etcd'
    ? spawn('etcd', flags, { stdio: 'ignore' })
    : spawn(process.execPath, ['--import', LOOP_WATCH, ...nodeArgs, join(cairnRoot, 'dist/src/cli/main.js'), 'serve', ...flags, '--log-level', 'info'], {
        stdio: ['ignore', openSync(logOf(dir, n), 'w'), openSync(logOf(dir, n), 'a')],
        env: { ...process.env, LOOP_WATCH_DIR: dir },
      });
}

const logOf = (dir: string, n: Node) => join(dir, `${n.name}.log`);

/** When a cairn member first logged `msg` (ms since the epoch), from its log file. */
function loggedAt(dir: string, n: Node, msg: string): number | undefined {
  let text = '';
  try {
    text = readFileSync(logOf(dir, n), 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const o = JSON.parse(line) as { msg?: string; ts?: string };
    if (o.msg === msg && o.ts !== undefined) return Date.parse(o.ts);
  }
  return undefined;
}

function exited(p: ChildProcess): Promise<void> {
  return new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function load(url: string, keys: number): Promise<void> {
  await putKeys(url, { count: keys, keyOf: (i) => `join/${String(i).padStart(8, '0')}`, valueBytes: JOIN_VALUE_BYTES, txnPuts: TXN_PUTS, inFlight: IN_FLIGHT, send: ok });
  let tick = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (tick < JOIN_TICKS) {
      tick++;
      await ok(`${url}/v3/kv/put`, JSON.stringify({ key: b64('join-tick'), value: b64(String(tick)) }));
    }
  }));
  await ok(`${url}/v3/kv/put`, JSON.stringify({ key: b64('join-done'), value: b64('1') }));
}

export interface JoinPhases {
  boot: number;
  untilSent: number;
  transfer: number;
}

/** Seconds of the joiner's boot, of the wait for a leader to send, and of transfer + install. */
function cairnPhases(dir: string, n1: Node, n2: Node, n3: Node, spawnedAt: number): JoinPhases | undefined {
  const started = loggedAt(dir, n3, 'member started');
  const sent = [loggedAt(dir, n1, 'sending snapshot'), loggedAt(dir, n2, 'sending snapshot')].filter((t) => t !== undefined);
  const installed = loggedAt(dir, n3, 'installed snapshot from leader');
  if (started === undefined || sent.length === 0 || installed === undefined) return undefined;
  const sentAt = Math.min(...sent);
  return { boot: (started - spawnedAt) / 1000, untilSent: (sentAt - started) / 1000, transfer: (installed - sentAt) / 1000 };
}

export interface JoinResult {
  phases: JoinPhases | undefined;
  /** From the joiner's spawn until it serves the last key written before it joined. */
  seconds: number;
  /** The leader's backend (status `dbSize`) before the join. */
  dbBytes: number;
  maxProbeMs: number;
  probes: number;
  rssAboveMiB: number;
  /** cairn only: the joiner's longest event-loop delay from its first answer to caught up. */
  loopLagMaxMs: number | undefined;
  /** cairn only: the catch-up by phase, with RSS and stalls (snapshot-join-phases.ts). */
  phaseRows: PhaseRow[];
}

export interface JoinOptions {
  /** A checkout whose built `dist/` the cairn members run (default: this one). */
  readonly cairnRoot?: string;
}

export async function measureJoin(kind: Kind, keys: number, nodeArgs: readonly string[] = [], o: JoinOptions = {}): Promise<JoinResult> {
  const root = o.cairnRoot ?? ROOT;
  const dir = mkdtempSync(join(tmpdir(), `join-${kind}-`));
  const nodes: Node[] = [];
  for (let i = 1; i <= 3; i++) nodes.push({ name: `m${i}`, client: `http://127.0.0.1:${await freePort()}`, peer: `http://127.0.0.1:${await freePort()}` });
  const [n1, n2, n3] = nodes as [Node, Node, Node];
  const procs: ChildProcess[] = [];
  try {
    const initial2 = `${n1.name}=${n1.peer},${n2.name}=${n2.peer}`;
    procs.push(launch(kind, dir, n1, initial2, 'new', nodeArgs, root), launch(kind, dir, n2, initial2, 'new', nodeArgs, root));
    await waitFor(`${kind} cluster`, 60_000, async () => (await post(`${n1.client}/v3/kv/range`, JSON.stringify({ key: b64('x') }))).status === 200);
    await load(n1.client, keys);
    const status = await ok(`${n1.client}/v3/maintenance/status`, '{}');
    const dbBytes = Number(status['dbSize']);
    console.log(`${kind}: loaded ${keys} keys and ${JOIN_TICKS} more entries; leader's backend ${(dbBytes / 1e6).toFixed(1)} MB`);
    await ok(`${n1.client}/v3/cluster/member/add`, JSON.stringify({ peerURLs: [n3.peer] }));
    const t0 = performance.now();
    const spawnedAt = Date.now();
    const joiner = launch(kind, dir, n3, `${initial2},${n3.name}=${n3.peer}`, 'existing', nodeArgs, root);
    procs.push(joiner);
    let done = false;
    let maxProbeMs = 0;
    let probes = 0;
    let baseRss: number | undefined;
    let peakRss = 0;
    const rssSamples: Array<[number, number, number]> = [];
    const prober = (async () => {
      while (!done) {
        const ms = await probe(n3.client);
        if (ms !== undefined) {
          probes++;
          maxProbeMs = Math.max(maxProbeMs, ms);
          const rss = rssBytes(joiner.pid as number);
          if (baseRss === undefined) {
            baseRss = rss;
            // Resets the joiner's event-loop histogram: its boot is not part of the catch-up.
            if (kind === 'cairn') await loopLagMaxMs(n3.client);
          }
          peakRss = Math.max(peakRss, rss);
          rssSamples.push([Date.now(), rss, rssBytes(joiner.pid as number, 'RssAnon')]);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await waitFor(`${kind} joiner catching up`, 1_800_000, async () => {
      if (joiner.exitCode !== null) throw new Error(`${kind}: the joining member exited (${joiner.exitCode})`);
      const r = await post(`${n3.client}/v3/kv/range`, JSON.stringify({ key: b64('join-done'), serializable: true }), 2000);
      return r.status === 200 && (JSON.parse(r.text) as { kvs?: unknown[] }).kvs?.length === 1;
    }).catch((err: unknown) => {
      done = true;
      throw err;
    });
    const seconds = (performance.now() - t0) / 1000;
    const caughtUpAt = Date.now();
    done = true;
    await prober;
    const loopLag = kind === 'cairn' ? await loopLagMaxMs(n3.client) : undefined;
    const phases = kind === 'cairn' ? cairnPhases(dir, n1, n2, n3, spawnedAt) : undefined;
    const sent = [loggedAt(dir, n1, 'sending snapshot'), loggedAt(dir, n2, 'sending snapshot')].filter((t) => t !== undefined);
    const phaseRows = kind !== 'cairn' ? [] : joinPhases({
      dir, joinerPid: joiner.pid as number, spawnedAt, caughtUpAt, rss: rssSamples,
      joinerLogged: (msg) => loggedAt(dir, n3, msg),
      leaderSentAt: sent.length === 0 ? undefined : Math.min(...sent),
    });
    return { seconds, dbBytes, maxProbeMs, probes, rssAboveMiB: (peakRss - (baseRss ?? peakRss)) / 2 ** 20, phases, loopLagMaxMs: loopLag, phaseRows };
  } finally {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    await Promise.all(procs.map(exited));
    const keep = process.env['CAIRN_BENCH_KEEP_LOGS'];
    // CAIRN_BENCH_KEEP_LOGS=<dir>: the members' logs and loop-watch files kept for a closer look.
    if (keep !== undefined) cpSync(dir, join(keep, `${kind}-${Date.now()}`), { recursive: true, filter: (f) => f === dir || f.endsWith('.log') });
    rmSync(dir, { recursive: true, force: true });
  }
}
