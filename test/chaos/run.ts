/**
 * One chaos run: start the cluster, run traffic and the nemesis for `durationMs`, heal, wait for
 * health, then check (etcd robustness's validate step):
 *  1. the KV history is linearizable (unknown outcomes handled) with consistent revisions;
 *  2. every acknowledged write is in the cluster's history (a watch from revision 1 after healing);
 *  3. every member has the same key-space hash at the same revision;
 *  4. every watch was ordered, unique, atomic, reliable and resumable;
 *  5. no leased key outlived its acknowledged revoke.
 * The run directory keeps member logs, data dirs, history.json and watches.json on failure.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../../src/client/index.js';
import { SeededRng } from '../../src/util/rng.js';
import { checkKvHistory } from '../checker/check-kv.js';
import { HistoryRecorder, historyToJSON } from '../checker/history.js';
import type { KvInput, KvOutput } from '../checker/kv-model.js';
import { validateWatches } from '../checker/watch-guarantees.js';
import { WatchRecorder } from '../checker/watch-recorder.js';
import { ChaosCluster, type DiskKind } from './cluster.js';
import { leaderOf, nemesis, type FaultKind } from './faults.js';
import { bump, keyName, kvClient, leaseClient, recordOp, watchPrefix, type Counters, type WorkloadContext } from './workload.js';
import { checkAcknowledgedWrites } from './acked-writes.js';
import { writeWatchStreams } from './watch-file.js';

export interface ChaosOptions {
  readonly seed: number;
  readonly size: 3 | 5;
  readonly durationMs: number;
  readonly faults: readonly FaultKind[];
  readonly clients?: number;
  readonly keys?: number;
  /** Which members run the power-loss file disk; default: all when powerloss is in the mix. */
  readonly disk?: DiskKind | 'mixed';
  readonly keepRunDir?: boolean;
  readonly log?: (line: string) => void;
}

export interface ChaosResult {
  readonly ok: boolean;
  readonly seed: number;
  readonly problems: string[];
  readonly runDir: string;
  readonly operations: number;
  readonly byOutcome: Record<'ok' | 'failed' | 'unknown', number>;
  readonly counters: Counters;
  readonly faults: Counters;
  readonly watchEvents: number;
  readonly finalRevision: number;
  readonly wallMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitHealthy(cluster: ChaosCluster, ms: number): Promise<string | undefined> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    const leader = await leaderOf(cluster);
    if (leader !== undefined) {
      const health = await Promise.all(cluster.members.map(async (m) => {
        try {
          const r = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(2000) });
          return r.ok;
        } catch {
          return false;
        }
      }));
      if (health.every(Boolean)) return undefined;
      last = `unhealthy: ${cluster.members.filter((_, i) => !health[i]).map((m) => m.name)}`;
    } else last = 'no leader';
    await sleep(200);
  }
  return `cluster not healthy ${ms / 1000} s after healing (${last})`;
}

async function waitSameHash(cluster: ChaosCluster, ms: number): Promise<{ problem?: string; revision: number }> {
  const deadline = Date.now() + ms;
  let last = '';
  let revision = 0;
  while (Date.now() < deadline) {
    const hashes = await Promise.all(cluster.members.map(async (m) => {
      try {
        const h = await new Client({ endpoints: [m.clientUrl], timeoutMs: 3000 }).hashKV({ revision: 0 });
        return `${h.header.revision}:${h.hash}`;
      } catch (err) {
        return `error ${(err as Error).message}`;
      }
    }));
    last = cluster.members.map((m, i) => `${m.name}=${hashes[i]}`).join(' ');
    if (new Set(hashes).size === 1 && !(hashes[0] as string).startsWith('error')) {
      revision = Number((hashes[0] as string).split(':')[0]);
      return { revision };
    }
    await sleep(300);
  }
  return { problem: `members did not converge to one key-space hash at one revision: ${last}`, revision };
}

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const log = o.log ?? (() => undefined);
  const runDir = mkdtempSync(join(tmpdir(), `cairn-chaos-${o.seed}-`));
  const faultLog = (line: string) => {
    appendFileSync(join(runDir, 'faults.log'), `${line}\n`);
    log(line);
  };
  const rng = new SeededRng(o.seed);
  const diskMode = o.disk ?? (o.faults.includes('powerloss') ? 'file' : 'level');
  const disk = (i: number): DiskKind => (diskMode === 'mixed' ? (i % 2 === 1 ? 'file' : 'level') : diskMode);
  const cluster = await ChaosCluster.create({ size: o.size, runDir, disk });
  const history = new HistoryRecorder<KvInput, KvOutput>({ now: () => performance.now() });
  const watches = new WatchRecorder();
  const counters: Counters = {};
  const faults: Counters = {};
  const problems: string[] = [];
  let watchEvents = 0;
  let finalRevision = 0;
  let running = true;
  try {
    await cluster.startAll();
    const healthy = await waitHealthy(cluster, 30_000);
    if (healthy !== undefined) throw new Error(`initial cluster: ${healthy}`);
    const endpoints = () => cluster.members.map((m) => m.clientUrl);
    const ctx: WorkloadContext = { rng: rng.fork(), endpoints, history, counters, keys: o.keys ?? 8, running: () => running, timeoutMs: 2000 };
    const leaseFindings: string[] = [];
    const clients = o.clients ?? 6;
    const watchers = [watchPrefix(endpoints(), watches, 10_000, 1, counters)];
    const workers = [
      ...Array.from({ length: clients }, (_, i) => kvClient(ctx, i)),
      leaseClient(ctx, 100, leaseFindings),
      // A harness failure inside the nemesis (a member it cannot restart) ends the faults, not the
      // run: the history gathered so far is still healed, read back and checked.
      nemesis(cluster, rng.fork(), faults, { faults: o.faults, running: () => running, log: faultLog }).catch((err: unknown) => {
        problems.push(`harness error: ${(err as Error).stack ?? String(err)}`);
        running = false;
      }),
      (async () => {
        // Watches opened during the run, from a recent revision (resumable from the middle).
        let n = 1;
        while (running) {
          await sleep(2000 + rng.int(3000));
          const from = Math.max(1, watchers[0]?.lastRevision() ?? 1) - rng.int(20);
          const eps = endpoints();
          watchers.push(watchPrefix([...eps.slice(n % eps.length), ...eps.slice(0, n % eps.length)], watches, 10_000 + n, Math.max(1, from), counters));
          n++;
        }
      })(),
    ];
    const timer = setTimeout(() => (running = false), o.durationMs);
    try {
      await Promise.all(workers);
    } finally {
      clearTimeout(timer);
      running = false;
    }

    // Heal: reconnect, restart, unpause, fast disks; then require health and convergence.
    cluster.heal();
    for (const m of cluster.members) {
      if (m.stopped) await cluster.signal(m, 'SIGCONT');
      if (!cluster.isUp(m)) await cluster.start(m);
    }
    faultLog(`${new Date().toISOString()} healed`);
    const unhealthy = await waitHealthy(cluster, 60_000);
    faultLog(`${new Date().toISOString()} health: ${unhealthy ?? 'ok'}`);
    if (unhealthy !== undefined) problems.push(unhealthy);

    // The final "tombstone" put (etcd robustness) must succeed; then read every key.
    const finalClient = new Client({ endpoints: endpoints(), timeoutMs: 5000, retryRounds: 10 });
    const tomb = await recordOp(ctx, finalClient, 20_000, { op: 'put', key: keyName(0), value: 'tombstone' });
    if (tomb === undefined) problems.push('the final put after healing failed');
    for (let k = 0; k < ctx.keys; k++) {
      const out = await recordOp(ctx, finalClient, 20_001 + k, { op: 'get', key: keyName(k) });
      if (out === undefined) problems.push(`final read of ${keyName(k)} failed`);
    }
    faultLog(`${new Date().toISOString()} final put and reads done`);
    const converged = await waitSameHash(cluster, 30_000);
    faultLog(`${new Date().toISOString()} hash: ${converged.problem ?? `same at revision ${converged.revision}`}`);
    if (converged.problem !== undefined) problems.push(converged.problem);
    finalRevision = converged.revision;

    // A watch from revision 1 after healing is the committed history of the checked keys.
    const full = watchPrefix(endpoints(), watches, 30_000, 1, counters);
    watchers.push(full);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && watchers.some((w) => w.lastRevision() < (tomb?.op === 'put' ? (tomb.revision ?? 0) : 0))) await sleep(100);
    await Promise.all(watchers.map((w) => w.stop()));
    faultLog(`${new Date().toISOString()} watches stopped; checking ${history.operations().length} operations`);
    problems.push(...leaseFindings);

    const ops = history.operations();
    // Written before the checks: a check that dies (an hour's history once exhausted the heap)
    // leaves what `scripts/chaos-check.ts <run dir>` needs to run it again.
    writeFileSync(join(runDir, 'history.json'), historyToJSON(ops));
    writeWatchStreams(join(runDir, 'watches.jsonl'), watches.streams());
    const kv = checkKvHistory(ops, { maxMillis: 60_000 });
    if (kv.result === 'illegal') problems.push(`history is not linearizable:\n${kv.text}`);
    else if (kv.result === 'unknown') bump(counters, 'linearizability check inconclusive (budget)');
    const streams = watches.streams();
    watchEvents = streams.reduce((s, w) => s + w.responses.reduce((t, r) => t + r.events.length, 0), 0);
    const fullStream = streams[streams.length - 1];
    // The read-back must reach the final put, the last write of the run in the watched prefix.
    const target = tomb?.op === 'put' ? (tomb.revision ?? 0) : 0;
    if (fullStream !== undefined) problems.push(...checkAcknowledgedWrites(ops, fullStream, target));
    const wr = validateWatches(streams);
    if (wr.violations.length > 0) problems.push(`watch guarantees violated:\n${wr.text}`);
  } catch (err) {
    problems.push(`harness error: ${(err as Error).stack ?? String(err)}`);
  } finally {
    running = false;
    await cluster.stopAll();
    countTransportDecodeErrors(cluster, counters);
    const ops = history.operations();
    if (problems.length > 0 || o.keepRunDir === true) {
      // Problems first, and a failure to keep the rest is one more problem, never a crash.
      writeFileSync(join(runDir, 'problems.txt'), problems.join('\n\n'));
      try {
        writeFileSync(join(runDir, 'history.json'), historyToJSON(ops));
        writeWatchStreams(join(runDir, 'watches.jsonl'), watches.streams());
      } catch (err) {
        problems.push(`harness error keeping the run's files: ${(err as Error).stack ?? String(err)}`);
      }
    } else rmSync(runDir, { recursive: true, force: true });
  }
  const ops = history.operations();
  const byOutcome = { ok: 0, failed: 0, unknown: 0 };
  for (const op of ops) byOutcome[op.status]++;
  return { ok: problems.length === 0, seed: o.seed, problems, runDir, operations: ops.length, byOutcome, counters, faults, watchEvents, finalRevision, wallMs: Date.now() - started };
}

/**
 * Chaos finding F1: peer frames that did not decode. No fault here corrupts bytes (a blackholed
 * connection is reset, never resumed mid-frame), so any such line in a member log is news; the
 * summary counts them (member logs are kept only on failure).
 */
function countTransportDecodeErrors(cluster: ChaosCluster, counters: Counters): void {
  for (const m of cluster.members) {
    let log = '';
    try {
      log = readFileSync(join(cluster.runDir, `${m.name}.log`), 'utf8');
    } catch {
      continue;
    }
    for (const line of log.split('\n')) {
      if (line.includes('fresh decoder')) bump(counters, 'transport: frame decoded only by a fresh decoder (F1)');
      else if (/unknown frame kind|frame does not decode|frame is not an object/.test(line)) bump(counters, 'transport: undecodable peer frame (F1)');
    }
  }
}

export function describeResult(r: ChaosResult): string {
  const lines = [
    `chaos seed ${r.seed}: ${r.ok ? 'PASS' : 'FAIL'} in ${(r.wallMs / 1000).toFixed(0)} s, final revision ${r.finalRevision}`,
    `operations ${r.operations}: ok ${r.byOutcome.ok}, failed ${r.byOutcome.failed}, unknown ${r.byOutcome.unknown}; watch events checked ${r.watchEvents}`,
    `by kind: ${Object.entries(r.counters).sort().map(([k, v]) => `${k}=${v}`).join(', ')}`,
    `faults: ${Object.entries(r.faults).sort().map(([k, v]) => `${k}=${v}`).join(', ') || 'none'}`,
  ];
  if (!r.ok) lines.push(`problems:\n${r.problems.join('\n')}`, `kept: ${r.runDir} (member logs, data dirs, history.json, watches.jsonl, faults.log)`);
  return lines.join('\n');
}
