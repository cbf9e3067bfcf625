/**
 * Issue 15 items 1 and 2 at full scale against a real member process: its peak RSS and whether
 * /health kept answering.
 *
 * - watch: V values of B bytes on one key, then S `POST /v3/watch` streams from revision 1 that
 *   never read and R that read everything; then all are closed and RSS is read again.
 * - range: K keys, then Q concurrent full ranges over them.
 * - catchup: N revisions of one-key puts, then one watch from revision 1 that reads everything:
 *   how long it takes and in how many responses (chaos finding F4).
 *
 * Each scenario runs in a fresh member (a child process on free ports and a temp data dir,
 * stopped by PID); `--targets cairn,etcd` runs the same against /usr/bin/etcd for reference.
 * Peak RSS is the kernel's VmHWM of the member process.
 *
 *   npm run bench:abuse -- [--streams 500] [--readers 20] [--values 300] [--value-bytes 100000]
 *                          [--keys 100000] [--ranges 16] [--revisions 30000] [--targets cairn,etcd]
 *                          [--scenarios watch,range,catchup]
 *                          [--no-write]
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '../src/client/index.js';
import { machineFacts, writeSection } from './wal-report.js';
import { openWatchStream } from './watch-client.js';

const { values: args } = parseArgs({
  options: {
    streams: { type: 'string', default: '500' },
    readers: { type: 'string', default: '20' },
    values: { type: 'string', default: '300' },
    'value-bytes': { type: 'string', default: '100000' },
    keys: { type: 'string', default: '100000' },
    ranges: { type: 'string', default: '16' },
    revisions: { type: 'string', default: '30000' },
    targets: { type: 'string', default: 'cairn' },
    scenarios: { type: 'string', default: 'watch,range,catchup' },
    'no-write': { type: 'boolean', default: false },
  },
});
const STREAMS = Number(args.streams);
const READERS = Number(args.readers);
const VALUES = Number(args.values);
const VALUE_BYTES = Number(args['value-bytes']);
const KEYS = Number(args.keys);
const RANGES = Number(args.ranges);
const REVISIONS = Number(args.revisions);
const MiB = 1024 * 1024;

type TargetName = 'cairn' | 'etcd';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

/** Reads a /proc/PID/status field in kB, as MiB. */
function procMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
    return Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN) / 1024;
  } catch {
    return NaN; // the process is gone
  }
}

interface Member {
  readonly target: TargetName;
  readonly url: string;
  readonly proc: ChildProcess;
  readonly dir: string;
  exited: boolean;
  stopping: boolean;
}

async function startMember(target: TargetName): Promise<Member> {
  const dir = mkdtempSync(join(tmpdir(), `abuse-${target}-`));
  const url = `http://127.0.0.1:${await freePort()}`;
  const peer = `http://127.0.0.1:${await freePort()}`;
  const flags = [
    '--name', 'abuse', '--data-dir', join(dir, 'data'),
    '--listen-client-urls', url, '--advertise-client-urls', url,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `abuse=${peer}`, '--log-level', 'error',
  ];
  const proc =
    target === 'cairn'
      ? spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...flags], { stdio: ['ignore', 'ignore', 'inherit'] })
      : spawn('/usr/bin/etcd', flags, { stdio: ['ignore', 'ignore', 'ignore'] });
  const member: Member = { target, url, proc, dir, exited: false, stopping: false };
  proc.on('exit', (code, signal) => {
    member.exited = true;
    if (!member.stopping) console.error(`${target} exited on its own: code ${code}, signal ${signal}`);
  });
  for (let i = 0; i < 300; i++) {
    if (member.exited) throw new Error(`${target} exited during start`);
    if (await healthOnce(url).then((h) => h.ok)) return member;
    await sleep(100);
  }
  throw new Error(`${target} did not become healthy`);
}

async function stopMember(m: Member): Promise<void> {
  m.stopping = true;
  if (!m.exited && m.proc.pid !== undefined) {
    m.proc.kill('SIGTERM');
    for (let i = 0; i < 50 && !m.exited; i++) await sleep(100);
    if (!m.exited) m.proc.kill('SIGKILL');
  }
  rmSync(m.dir, { recursive: true, force: true });
}

async function healthOnce(url: string): Promise<{ ok: boolean; ms: number }> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { health?: string };
    return { ok: res.status === 200 && body.health === 'true', ms: performance.now() - t0 };
  } catch {
    return { ok: false, ms: performance.now() - t0 };
  }
}

/**
 * /health by curl, a process of its own: this process parses big responses and its own event
 * loop stalls must not count against the member.
 */
function healthByCurl(url: string): Promise<{ ok: boolean; ms: number }> {
  return new Promise((resolve) => {
    execFile('curl', ['-s', '-m', '5', '-w', '\n%{time_total}', `${url}/health`], (err, stdout) => {
      const [body = '', seconds = 'NaN'] = stdout.split('\n');
      resolve({ ok: err === null && body.includes('"health":"true"'), ms: Number(seconds) * 1000 });
    });
  });
}

/** /health every 500 ms while a scenario runs. */
class HealthWatch {
  checks = 0;
  failures = 0;
  maxMs = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(url: string) {
    this.done = (async () => {
      while (this.running) {
        const h = await healthByCurl(url);
        this.checks++;
        if (!h.ok) this.failures++;
        this.maxMs = Math.max(this.maxMs, h.ms);
        await sleep(500);
      }
    })();
  }

  async stop(): Promise<string> {
    this.running = false;
    await this.done;
    return this.failures === 0 ? `yes (${this.checks} checks, slowest ${this.maxMs.toFixed(0)} ms)` : `**no**: ${this.failures} of ${this.checks} checks failed`;
  }
}

/** cairn's V8 heap (used/total) and external memory from /metrics: where the RSS is, in MiB. */
async function heapOf(m: Member): Promise<string> {
  if (m.target !== 'cairn') return '';
  try {
    const text = await (await fetch(`${m.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / MiB;
    return ` (heap ${metric('nodejs_heap_size_used_bytes').toFixed(0)}/${metric('nodejs_heap_size_total_bytes').toFixed(0)} MiB, external ${metric('nodejs_external_memory_bytes').toFixed(0)} MiB)`;
  } catch {
    return '';
  }
}

async function post(url: string, path: string, body: object): Promise<Response> {
  return fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) });
}

interface Row {
  readonly target: TargetName;
  readonly scenario: string;
  readonly baseline: number;
  readonly peak: number;
  readonly after: string;
  readonly healthy: string;
  readonly detail: string;
}

async function watchScenario(target: TargetName): Promise<Row> {
  const m = await startMember(target);
  try {
    const value = b64(Buffer.alloc(VALUE_BYTES, 7));
    for (let i = 0; i < VALUES; i++) {
      const res = await post(m.url, '/v3/kv/put', { key: b64('abuse/watch'), value });
      if (res.status !== 200) throw new Error(`put ${i}: ${res.status} ${await res.text()}`);
    }
    await sleep(1000);
    const baseline = procMiB(m.proc.pid!, 'VmRSS');
    const heapBefore = await heapOf(m);
    const health = new HealthWatch(m.url);
    const t0 = performance.now();
    const idle = Array.from({ length: STREAMS }, () => openWatchStream(m.url, [{ key: 'abuse/watch', startRevision: 1 }]));
    const got = new Array<number>(READERS).fill(0);
    const readers = got.map((_, i) =>
      openWatchStream(m.url, [{ key: 'abuse/watch', startRevision: 1 }], (line) => {
        const events = (JSON.parse(line) as { result?: { events?: unknown[] } }).result?.events;
        got[i]! += events?.length ?? 0;
      }),
    );
    while (got.some((n) => n < VALUES) && performance.now() - t0 < 180_000 && !m.exited) await sleep(200);
    const readSeconds = (performance.now() - t0) / 1000;
    await sleep(10_000); // the idle streams stay open a while longer
    const peak = procMiB(m.proc.pid!, 'VmHWM');
    for (const r of [...idle, ...readers]) r.destroy();
    await sleep(15_000);
    const after = procMiB(m.proc.pid!, 'VmRSS');
    const heapAfter = await heapOf(m);
    const healthy = m.exited ? '**no**: the member died' : await health.stop();
    const complete = got.filter((n) => n >= VALUES).length;
    return {
      target,
      scenario: `watch: ${VALUES} × ${VALUE_BYTES} B on one key, ${STREAMS} idle catch-up streams + ${READERS} readers`,
      baseline,
      peak,
      after: `${after.toFixed(0)} MiB${heapAfter}`,
      healthy,
      detail: `${complete}/${READERS} readers got all ${VALUES} revisions in ${readSeconds.toFixed(1)} s; at baseline${heapBefore || ' -'}`,
    };
  } finally {
    await stopMember(m);
  }
}

async function rangeScenario(target: TargetName): Promise<Row> {
  const m = await startMember(target);
  try {
    const value = b64(Buffer.alloc(200, 5));
    const key = (i: number) => b64(`abuse/range/${String(i).padStart(7, '0')}`);
    const batches: number[] = [];
    for (let i = 0; i < KEYS; i += 100) batches.push(i);
    // Four writers: loading 100k keys one txn at a time would take most of the run.
    await Promise.all(
      [0, 1, 2, 3].map(async (w) => {
        for (let b = w; b < batches.length; b += 4) {
          const from = batches[b]!;
          const success = [];
          for (let i = from; i < Math.min(KEYS, from + 100); i++) success.push({ request_put: { key: key(i), value } });
          const res = await post(m.url, '/v3/kv/txn', { success });
          if (res.status !== 200) throw new Error(`txn: ${res.status} ${await res.text()}`);
        }
      }),
    );
    await sleep(1000);
    const baseline = procMiB(m.proc.pid!, 'VmRSS');
    const health = new HealthWatch(m.url);
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: RANGES }, async () => {
        const s = performance.now();
        const res = await post(m.url, '/v3/kv/range', { key: b64('abuse/range/'), range_end: b64('abuse/range0') });
        const text = await res.text();
        // Counting keys without parsing 36 MB of JSON keeps this process responsive.
        let count = 0;
        for (let at = text.indexOf('{"key":'); res.status === 200 && at >= 0; at = text.indexOf('{"key":', at + 1)) count++;
        return { status: res.status, bytes: text.length, count, seconds: (performance.now() - s) / 1000 };
      }),
    );
    const total = (performance.now() - t0) / 1000;
    const peak = procMiB(m.proc.pid!, 'VmHWM');
    await sleep(5_000);
    const after = procMiB(m.proc.pid!, 'VmRSS');
    const healthy = m.exited ? '**no**: the member died' : await health.stop();
    const ok = results.filter((r) => r.status === 200 && r.count === KEYS);
    const secs = results.map((r) => r.seconds).sort((a, b) => a - b);
    return {
      target,
      scenario: `range: ${RANGES} concurrent full ranges of ${KEYS} keys (200 B values)`,
      baseline,
      peak,
      after: `${after.toFixed(0)} MiB`,
      healthy,
      detail: `${ok.length}/${RANGES} complete (${((ok[0]?.bytes ?? 0) / MiB).toFixed(1)} MiB JSON each), ${secs[0]?.toFixed(1)}–${secs.at(-1)?.toFixed(1)} s each, ${total.toFixed(1)} s in all`,
    };
  } finally {
    await stopMember(m);
  }
}

/** The same catch-up through cairn's own client (what the chaos harness reads history with). */
async function catchUpWithClient(url: string, last: number): Promise<string> {
  const client = new Client({ endpoints: [url], timeoutMs: 5000 });
  const t0 = performance.now();
  let reached = 0;
  const watch = client.watchKey('abuse/catchup/', { prefix: true, startRevision: 1 });
  const timer = setTimeout(() => void watch.return(undefined), 300_000);
  try {
    for await (const batch of watch) {
      reached = batch.revision;
      if (reached >= last) break;
    }
  } finally {
    clearTimeout(timer);
  }
  const seconds = (performance.now() - t0) / 1000;
  return `reached ${reached} in ${seconds.toFixed(1)} s (${((reached - 1) / seconds).toFixed(0)} revisions/s)`;
}

async function catchUpScenario(target: TargetName): Promise<Row> {
  const m = await startMember(target);
  try {
    const value = b64(Buffer.alloc(100, 3));
    let next = 0;
    // Sixteen writers, one key per put: one revision each, as the chaos workload writes.
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < REVISIONS; i = next++) {
          const res = await post(m.url, '/v3/kv/put', { key: b64(`abuse/catchup/${i % 64}`), value });
          if (res.status !== 200) throw new Error(`put ${i}: ${res.status} ${await res.text()}`);
        }
      }),
    );
    await sleep(1000);
    const baseline = procMiB(m.proc.pid!, 'VmRSS');
    const health = new HealthWatch(m.url);
    const last = REVISIONS + 1; // revision 1 is the empty store
    let responses = 0;
    let events = 0;
    let reached = 0;
    const t0 = performance.now();
    const stream = openWatchStream(m.url, [{ key: 'abuse/catchup/', rangeEnd: 'abuse/catchup0', startRevision: 1 }], (line) => {
      const result = (JSON.parse(line) as { result?: { events?: Array<{ kv: { mod_revision: string } }> } }).result;
      const evs = result?.events ?? [];
      if (evs.length === 0) return;
      responses++;
      events += evs.length;
      reached = Number(evs[evs.length - 1]!.kv.mod_revision);
    });
    while (reached < last && performance.now() - t0 < 300_000 && !m.exited) await sleep(50);
    const seconds = (performance.now() - t0) / 1000;
    stream.destroy();
    const viaClient = await catchUpWithClient(m.url, last);
    const peak = procMiB(m.proc.pid!, 'VmHWM');
    await sleep(5_000);
    const after = procMiB(m.proc.pid!, 'VmRSS');
    const healthy = m.exited ? '**no**: the member died' : await health.stop();
    return {
      target,
      scenario: `catch-up: one watch from revision 1 over ${REVISIONS} one-key puts (100 B values)`,
      baseline,
      peak,
      after: `${after.toFixed(0)} MiB`,
      healthy,
      detail:
        `raw stream: reached ${reached} of ${last} in ${seconds.toFixed(1)} s (${(events / seconds).toFixed(0)} events/s), ` +
        `${responses} responses (${(events / Math.max(1, responses)).toFixed(0)} events each); cairn's Client.watchKey: ${viaClient}`,
    };
  } finally {
    await stopMember(m);
  }
}

async function main(): Promise<void> {
  const targets = (args.targets ?? 'cairn').split(',') as TargetName[];
  const rows: Row[] = [];
  for (const target of targets) {
    const chosen = (args.scenarios ?? '').split(',');
    const scenarios = { watch: watchScenario, range: rangeScenario, catchup: catchUpScenario };
    for (const scenario of Object.entries(scenarios).flatMap(([name, run]) => (chosen.includes(name) ? [run] : []))) {
      const row = await scenario(target);
      console.log(`${row.target} | ${row.scenario} | baseline ${row.baseline.toFixed(0)} MiB | peak ${row.peak.toFixed(0)} MiB | after ${row.after} | healthy ${row.healthy} | ${row.detail}`);
      rows.push(row);
    }
  }
  if (args['no-write']) return;
  const command = `npm run bench:abuse -- ${process.argv.slice(2).join(' ')}`.trim();
  writeSection(
    'abuse-memory',
    [
      '## Abuse: watch catch-up and big ranges against one member (`bench/abuse-memory.ts`)',
      '',
      `Command: \`${command}\``,
      '',
      machineFacts(tmpdir()),
      '',
      'Peak = the member process\'s VmHWM (peak RSS) over the scenario, from a fresh member; baseline = RSS after',
      'loading the data; after = RSS once every stream or range was done (15 s / 5 s later). Healthy = /health',
      'answered `{"health":"true"}` every 500 ms throughout. Targets (issue 15): peak under 1 GiB for both.',
      '',
      '| member | scenario | baseline | peak RSS | after | /health throughout | detail |',
      '| --- | --- | ---: | ---: | ---: | --- | --- |',
      ...rows.map((r) => `| ${r.target} | ${r.scenario} | ${r.baseline.toFixed(0)} MiB | ${r.peak.toFixed(0)} MiB | ${r.after} | ${r.healthy} | ${r.detail} |`),
    ].join('\n'),
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
