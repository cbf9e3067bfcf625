/**
 * Compaction and defragment at scale (issue 18: "compaction of 1M revisions and defragment of the
 * result without any request waiting more than 100 ms"). For etcd 3.4 and cairn in turn, one
 * member each on a fresh data dir, the same client code over the v3 JSON gateway:
 *   1. writes `--keys` keys `--versions` times each (txns of 100 puts, 8 in flight): keys ×
 *      versions records of history, all but the newest version of each key garbage;
 *   2. while a probe client sends a put and a range every 10 ms (each on its own, never waiting
 *      for the previous), compacts at the head with `physical: true` (the call returns once the
 *      old revisions are gone), then defragments;
 *   3. reports, per phase, how long each call took, the probe's worst wait and how many probe
 *      requests waited over 100 ms, and the bytes on disk before and after.
 * Appends the table to bench/RESULTS.md with the date, the command and the load.
 *
 *   npm run build && npm run bench:compaction -- --keys 100000 --versions 10
 *   (--only cairn|etcd; --value-bytes 128; --no-write prints only; CAIRN_BENCH_NODE_ARGS="--cpu-prof ..." for cairn;
 *   CAIRN_BENCH_BASE=/path/to/other/checkout adds a column for that build of cairn, run after etcd
 *   and before this one, so two versions are compared in the same run; CAIRN_BENCH_BASE_NODE_ARGS:
 *   that column's node flags instead, e.g. the same checkout with and without a V8 flag)
 */
import { Agent, request as httpRequest } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { etcdVersion, hasEtcd, type Kind } from './clusters.js';
import { diskBytes, putKeys, startScaleMember, type ScaleMember } from './scale-member.js';
import { writeSection } from './wal-report.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
};
const keys = Number(arg('keys', '100000'));
const versions = Number(arg('versions', '10'));
const valueBytes = Number(arg('value-bytes', '128'));
type Variant = Kind | 'cairn-base';
const baseRoot = process.env['CAIRN_BENCH_BASE'];
const kinds = arg('only', baseRoot !== undefined ? 'etcd,cairn-base,cairn' : 'etcd,cairn').split(',') as Variant[];
const nodeArgs = (process.env['CAIRN_BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
const baseNodeArgs = (process.env['CAIRN_BENCH_BASE_NODE_ARGS'] ?? process.env['CAIRN_BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
const TXN_PUTS = 100;
const IN_FLIGHT = 8;
const PROBE_EVERY_MS = 10;
const SLOW_MS = 100;

const loadAgent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
// The probe's requests never queue behind each other for a socket: a stall shows as their wait.
const probeAgent = new Agent({ keepAlive: true, maxSockets: 256 });
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const keyOf = (i: number) => `compact/${String(i).padStart(8, '0')}`;

function post(url: string, body: string, agent: Agent): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString();
        if (res.statusCode !== 200) reject(new Error(`${url}: ${res.statusCode ?? 0} ${text.slice(0, 200)}`));
        else resolve(JSON.parse(text) as Record<string, unknown>);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The member's WAL fsync histogram (both expose etcd's): count, seconds, and how many took over 64 ms. */
interface Fsyncs {
  readonly count: number;
  readonly seconds: number;
  readonly over64: number;
}

function fsyncs(m: ScaleMember): Promise<Fsyncs> {
  return new Promise((resolve) => {
    const none = { count: 0, seconds: 0, over64: 0 };
    const req = httpRequest(`${m.url}/metrics`, { agent: loadAgent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        const value = (re: RegExp): number => Number(re.exec(text)?.[1] ?? NaN);
        const count = value(/^etcd_disk_wal_fsync_duration_seconds_count(?:\{[^}]*\})? (\S+)$/m);
        const seconds = value(/^etcd_disk_wal_fsync_duration_seconds_sum(?:\{[^}]*\})? (\S+)$/m);
        const under64 = value(/^etcd_disk_wal_fsync_duration_seconds_bucket\{[^}]*le="0\.064"[^}]*\} (\S+)$/m);
        resolve(Number.isFinite(count) ? { count, seconds, over64: count - under64 } : none);
      });
      res.on('error', () => resolve(none));
    });
    req.on('error', () => resolve(none));
    req.end();
  });
}

/** CPU time (user + system, ms) the member's process has used, from /proc (Linux; 0 elsewhere). */
function cpuMs(m: ScaleMember): number {
  try {
    const fields = readFileSync(`/proc/${m.pid()}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return 0;
  }
}

async function waitReady(m: ScaleMember): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (await post(`${m.url}/v3/kv/range`, JSON.stringify({ key: b64('ready') }), loadAgent).then(() => true, () => false)) return;
    if (Date.now() > deadline) throw new Error(`${m.kind} did not answer`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Writes every key `versions` times; returns the head revision. */
async function load(m: ScaleMember): Promise<number> {
  let head = 0;
  const send = (url: string, body: string) => post(url, body, loadAgent);
  for (let v = 0; v < versions; v++) head = await putKeys(m.url, { count: keys, keyOf, valueBytes, txnPuts: TXN_PUTS, inFlight: IN_FLIGHT, send });
  return head;
}

type Phase = 'before' | 'compact' | 'defrag' | 'after';

interface ProbeSample {
  readonly phase: Phase;
  readonly put: boolean;
  /** When it was sent, ms since the probe started. */
  readonly at: number;
  /** When it was sent, ms since the epoch (to line up with a member's own logs). */
  readonly sentAt: number;
  readonly ms: number;
  readonly failed: boolean;
}

/** A put and a range every 10 ms until stopped; each sample is tagged with the phase it began in. */
/**
 * The bench's own event-loop stalls over 40 ms (when it started, ms since the epoch; how long):
 * a probe's wait is measured here, so a client starved of a core inflates it, etcd's or cairn's.
 */
const clientStalls: Array<{ at: number; ms: number }> = [];
{
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    if (now - last - 5 > 40) clientStalls.push({ at: Date.now() - (now - last), ms: now - last - 5 });
    last = now;
  }, 5).unref();
}

function startProbe(m: ScaleMember): { phase: (p: Phase) => void; stop: () => Promise<ProbeSample[]> } {
  let phase: Phase = 'before';
  const samples: ProbeSample[] = [];
  const probeStart = performance.now();
  const outstanding = new Set<Promise<void>>();
  const send = (path: string, body: string): void => {
    const started = phase;
    const put = path.endsWith('put');
    const t0 = performance.now();
    const at = t0 - probeStart;
    const sentAt = Date.now();
    const p = post(`${m.url}${path}`, body, probeAgent).then(
      () => void samples.push({ phase: started, put, at, sentAt, ms: performance.now() - t0, failed: false }),
      () => void samples.push({ phase: started, put, at, sentAt, ms: performance.now() - t0, failed: true }),
    );
    outstanding.add(p);
    void p.finally(() => outstanding.delete(p));
  };
  let n = 0;
  const timer = setInterval(() => {
    n++;
    send('/v3/kv/put', JSON.stringify({ key: b64('probe/put'), value: b64(String(n)) }));
    send('/v3/kv/range', JSON.stringify({ key: b64(keyOf(n % keys)) }));
  }, PROBE_EVERY_MS);
  return {
    phase: (p) => void (phase = p),
    stop: async () => {
      clearInterval(timer);
      await Promise.all([...outstanding]);
      return samples;
    },
  };
}

interface PhaseRow {
  readonly seconds: number;
  readonly worst: number;
  readonly worstPut: number;
  readonly worstRange: number;
  readonly p99: number;
  readonly slow: number;
  readonly count: number;
  readonly failed: number;
  /** WAL fsyncs during the phase (the member's histogram). */
  readonly fsyncs: Fsyncs;
  /** The member's CPU time (user + system, all its threads) during the phase, ms. */
  readonly cpu: number;
  /** Slow probes sent while the bench itself stalled over 40 ms (its wait is partly the client's). */
  readonly slowInClientStall: number;
}

interface Row {
  readonly loadSeconds: number;
  readonly head: number;
  readonly diskBefore: number;
  readonly diskAfterCompact: number;
  readonly diskAfterDefrag: number;
  readonly phases: Record<Phase, PhaseRow>;
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

async function measure(variant: Variant): Promise<Row> {
  const kind: Kind = variant === 'etcd' ? 'etcd' : 'cairn';
  const args = variant === 'cairn-base' ? baseNodeArgs : kind === 'cairn' ? nodeArgs : [];
  const m = await startScaleMember(kind, args, variant === 'cairn-base' ? baseRoot : undefined);
  try {
    await waitReady(m);
    let head = 0;
    const loadSeconds = await timed(async () => void (head = await load(m)));
    console.log(`${variant}: wrote ${keys} keys x ${versions} in ${loadSeconds.toFixed(1)} s, head revision ${head}`);
    const diskBefore = diskBytes(m.dataDir);
    const probe = startProbe(m);
    const seconds: Partial<Record<Phase, number>> = {};
    const synced: Fsyncs[] = [await fsyncs(m)];
    const used: number[] = [cpuMs(m)];
    seconds.before = await timed(() => new Promise((r) => setTimeout(r, 2000)));
    synced.push(await fsyncs(m));
    used.push(cpuMs(m));
    probe.phase('compact');
    seconds.compact = await timed(() => post(`${m.url}/v3/kv/compaction`, JSON.stringify({ revision: String(head), physical: true }), loadAgent));
    console.log(`${variant}: compacted in ${seconds.compact.toFixed(2)} s`);
    synced.push(await fsyncs(m));
    used.push(cpuMs(m));
    const diskAfterCompact = diskBytes(m.dataDir);
    probe.phase('defrag');
    seconds.defrag = await timed(() => post(`${m.url}/v3/maintenance/defragment`, '{}', loadAgent));
    console.log(`${variant}: defragmented in ${seconds.defrag.toFixed(2)} s`);
    synced.push(await fsyncs(m));
    used.push(cpuMs(m));
    const diskAfterDefrag = diskBytes(m.dataDir);
    probe.phase('after');
    seconds.after = await timed(() => new Promise((r) => setTimeout(r, 2000)));
    synced.push(await fsyncs(m));
    used.push(cpuMs(m));
    const samples = await probe.stop();
    // CAIRN_BENCH_SAMPLES=file: every probe sample as JSON, to see when the slow ones were sent.
    const dump = process.env['CAIRN_BENCH_SAMPLES'];
    if (dump !== undefined) writeFileSync(`${dump}.${variant}.json`, JSON.stringify(samples));
    const phases = {} as Record<Phase, PhaseRow>;
    const order: Phase[] = ['before', 'compact', 'defrag', 'after'];
    for (const [i, p] of order.entries()) {
      const [a, z] = [synced[i] as Fsyncs, synced[i + 1] as Fsyncs];
      const ms = samples.filter((s) => s.phase === p).map((s) => s.ms).sort((a, b) => a - b);
      phases[p] = {
        seconds: seconds[p] ?? 0,
        worst: ms[ms.length - 1] ?? 0,
        worstPut: Math.max(0, ...samples.filter((s) => s.phase === p && s.put).map((s) => s.ms)),
        worstRange: Math.max(0, ...samples.filter((s) => s.phase === p && !s.put).map((s) => s.ms)),
        p99: ms[Math.min(ms.length - 1, Math.floor(0.99 * ms.length))] ?? 0,
        slow: ms.filter((x) => x > SLOW_MS).length,
        count: ms.length,
        failed: samples.filter((s) => s.phase === p && s.failed).length,
        fsyncs: { count: z.count - a.count, seconds: z.seconds - a.seconds, over64: z.over64 - a.over64 },
        cpu: (used[i + 1] as number) - (used[i] as number),
        slowInClientStall: samples.filter((s) => s.phase === p && s.ms > SLOW_MS && clientStalls.some((c) => c.at < s.sentAt + s.ms && c.at + c.ms > s.sentAt)).length,
      };
    }
    return { loadSeconds, head, diskBefore, diskAfterCompact, diskAfterDefrag, phases };
  } finally {
    await m.stop();
  }
}

if (kinds.includes('etcd') && !hasEtcd()) {
  console.error('bench:compaction needs etcd (apt-get install etcd-server) to compare against; or pass --only cairn');
  process.exit(2);
}
const loadAtStart = loadavg().map((l) => l.toFixed(2)).join(' ');
const rows = new Map<Variant, Row>();
for (const kind of kinds) rows.set(kind, await measure(kind));
loadAgent.destroy();
probeAgent.destroy();
const loadAtEnd = loadavg().map((l) => l.toFixed(2)).join(' ');

const MiB = 2 ** 20;
const cell = (kind: Variant, f: (r: Row) => string): string => {
  const r = rows.get(kind);
  return r === undefined ? '' : f(r);
};
const line = (name: string, f: (r: Row) => string): string => `| ${name} | ${kinds.map((k) => cell(k, f)).join(' | ')} |`;
const phaseLines = (['compact', 'defrag', 'before', 'after'] as Phase[]).map((p) =>
  line(`${p}: ${p === 'before' || p === 'after' ? 'idle 2 s' : 'call took'}; probe worst (put, range) / p99; probe requests > ${SLOW_MS} ms (of n), failed`, (r) => {
    const x = r.phases[p];
    return `${x.seconds.toFixed(2)} s; ${x.worst.toFixed(0)} (${x.worstPut.toFixed(0)}, ${x.worstRange.toFixed(0)}) / ${x.p99.toFixed(0)} ms; ${x.slow} (of ${x.count}), ${x.failed}`;
  }),
);
const clientLine = line(`probe requests > ${SLOW_MS} ms that overlapped a stall of the bench client's own loop, compact / defrag`, (r) =>
  `${r.phases.compact.slowInClientStall} / ${r.phases.defrag.slowInClientStall}`);
const cpuLine = line('member CPU (user + system) during before / compact / defrag / after', (r) =>
  (['before', 'compact', 'defrag', 'after'] as Phase[]).map((p) => `${(r.phases[p].cpu / 1000).toFixed(2)}`).join(' / ') + ' s');
const fsyncLines = (['compact', 'defrag'] as Phase[]).map((p) =>
  line(`${p}: WAL fsyncs, their mean, how many over 64 ms`, (r) => {
    const f = r.phases[p].fsyncs;
    return f.count === 0 ? 'n/a' : `${f.count}, ${((1000 * f.seconds) / f.count).toFixed(1)} ms, ${f.over64}`;
  }),
);
const table = [
  `| ${keys} keys × ${versions} versions | ${kinds.map((k) => (k === 'etcd' ? etcdVersion() : k === 'cairn-base' ? `cairn at ${baseRoot ?? ''}` : 'cairn')).join(' | ')} |`,
  `|---|${kinds.map(() => '---').join('|')}|`,
  line('write the history', (r) => `${r.loadSeconds.toFixed(1)} s (head revision ${r.head})`),
  ...phaseLines,
  ...fsyncLines,
  cpuLine,
  clientLine,
  line('data on disk: before / after compaction / after defrag', (r) => `${(r.diskBefore / MiB).toFixed(0)} / ${(r.diskAfterCompact / MiB).toFixed(0)} / ${(r.diskAfterDefrag / MiB).toFixed(0)} MiB`),
].join('\n');
console.log(`\n${table}`);
const date = new Date().toISOString();
const command = `npm run bench:compaction -- ${process.argv.slice(2).join(' ')}`.trim();
if (!process.argv.includes('--no-write')) writeSection(
  `compaction ${date}`,
  `## Compaction and defragment under a probe, etcd and cairn in turn (\`bench/compaction.ts\`), ${date}\n\n` +
    `Command: \`${command}\` (after \`npm run build\`). ${cpus().length} cores; load average at start ${loadAtStart}, at end ${loadAtEnd}. ` +
    `${valueBytes} B random values, txns of ${TXN_PUTS} puts, ${IN_FLIGHT} in flight; the probe sends a put and a one-key range every ${PROBE_EVERY_MS} ms.\n\n${table}\n`,
);
