/**
 * A million keys on one member: etcd 3.4 and cairn in turn, fresh data dirs, the same client code
 * over etcd's v3 JSON gateway. Loads N keys of 256 random bytes in txns of 100 puts, 8 txns in
 * flight, then measures: load rate, RSS after load, bytes on disk, restart after kill -9 until a
 * linearizable range answers, a count_only over every key, a range of 1,000 keys, and one range of
 * the first 100,000 keys whole (MB/s of answer). Appends the table to bench/RESULTS.md as a new
 * section (date, load, command).
 *
 *   npm run build && nice -n 10 npm run bench:scale -- --keys 100000
 *   (--only cairn|etcd; --reads 5 samples per read row; CAIRN_BENCH_NODE_ARGS="--cpu-prof ..." for cairn;
 *   CAIRN_BENCH_ROOT=<another checkout, built> runs that cairn; --no-write leaves RESULTS.md alone)
 *
 * Watch rows (bench/scale-watch.ts), each on a fresh member without the key load:
 *   npm run bench:scale -- --watch [--watch-client gateway|grpc] [--watch-rows fanout,rate,catchup] [--watch-streams 100]
 *     [--fanout-watchers 10000 --fanout-puts 50 --fanout-rate 10] [--rate-watchers 100 --rate-events 10000 --rate-seconds 10]
 *     [--history 100000 --history-keys 1000 --catchup-watchers 1000]
 *   Without `--watch` they follow the key rows (on their own fresh members); `--no-watch` leaves them out.
 *
 * Snapshot catch-up rows (bench/snapshot-join-run.ts, as `npm run bench:join`): after the key rows,
 * a 2-member cluster of each is loaded with `--join-keys` keys (default `--keys`) and a 3rd member
 * joins by snapshot; `--no-join` leaves them out (so does `--watch`).
 */
import { cpus, loadavg } from 'node:os';
import { etcdVersion, hasEtcd, type Kind } from './clusters.js';
import { closeClient, diskBytes, ok, putKeys, rssBytes, startScaleMember, waitReady, type ScaleMember } from './scale-member.js';
import { closeJoinClient, measureJoin, type JoinResult } from './snapshot-join-run.js';
import { DEFAULT_WATCH_BENCH, WATCH_ROWS, type WatchBenchOptions, type WatchMetric, type WatchRowName } from './scale-watch.js';
import { writeSection } from './wal-report.js';
import type { WatchClientKind } from './watch-client.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
};
const keys = Number(arg('keys', '1000000'));
const reads = Number(arg('reads', '5'));
const kinds = (arg('only', 'etcd,cairn').split(',') as Kind[]);
const nodeArgs = (process.env['CAIRN_BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
const TXN_PUTS = 100;
const IN_FLIGHT = 8;
const VALUE_BYTES = 256;
const RANGE_KEYS = 1000;
const FULL_RANGE_KEYS = 100_000;
// Watch rows (bench/scale-watch.ts): `--watch` runs only them (no key load), `--no-watch` skips them.
const watchOnly = process.argv.includes('--watch');
const num = (name: string, fallback: number) => Number(arg(name, String(fallback)));
const W = DEFAULT_WATCH_BENCH;
const watchOptions: WatchBenchOptions = {
  client: arg('watch-client', W.client) as WatchClientKind,
  streams: num('watch-streams', W.streams),
  fanoutWatchers: num('fanout-watchers', W.fanoutWatchers),
  fanoutPuts: num('fanout-puts', W.fanoutPuts),
  fanoutRate: num('fanout-rate', W.fanoutRate),
  rateWatchers: num('rate-watchers', W.rateWatchers),
  rateEvents: num('rate-events', W.rateEvents),
  rateSeconds: num('rate-seconds', W.rateSeconds),
  history: num('history', W.history),
  historyKeys: num('history-keys', W.historyKeys),
  catchupWatchers: num('catchup-watchers', W.catchupWatchers),
};

const joinKeys = Number(arg('join-keys', String(keys)));
const withJoin = !watchOnly && !process.argv.includes('--no-join');

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const keyOf = (i: number) => `scale/${String(i).padStart(8, '0')}`;
const PREFIX = b64('scale/');
const PREFIX_END = b64('scale0'); // '/' + 1

async function load(m: ScaleMember): Promise<number> {
  const t0 = performance.now();
  await putKeys(m.url, { count: keys, keyOf, valueBytes: VALUE_BYTES, txnPuts: TXN_PUTS, inFlight: IN_FLIGHT, send: ok });
  return keys / ((performance.now() - t0) / 1000);
}

async function timed(f: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

interface Row {
  loadRate: number;
  rss: number;
  disk: number;
  restart: number;
  count: number;
  range: number;
  /** MB/s of answer for a range of the first FULL_RANGE_KEYS keys, whole. */
  fullRange: number;
}

async function measure(kind: Kind): Promise<Row> {
  const m = await startScaleMember(kind, nodeArgs);
  try {
    await waitReady(m, 60_000);
    const loadRate = await load(m);
    console.log(`${kind}: loaded ${keys} keys at ${loadRate.toFixed(0)} keys/s`);
    const rss = rssBytes(m.pid());
    const disk = diskBytes(m.dataDir);
    const restart = await timed(async () => {
      await m.killAndRestart();
      await waitReady(m, 600_000);
    });
    console.log(`${kind}: restart ${restart.toFixed(2)} s`);
    const countBody = JSON.stringify({ key: PREFIX, range_end: PREFIX_END, count_only: true });
    const counted = await ok(`${m.url}/v3/kv/range`, countBody);
    if (Number(counted['count']) !== keys) throw new Error(`${kind}: count ${String(counted['count'])}, expected ${keys}`);
    const count = median(await sequential(reads, () => timed(async () => void (await ok(`${m.url}/v3/kv/range`, countBody)))));
    // 1,000 consecutive keys from a different place each time, so no sample reads a warm repeat.
    const range = median(await sequential(reads, (i) => timed(async () => {
      const start = Math.floor(((i + 0.5) / reads) * (keys - RANGE_KEYS));
      const r = await ok(`${m.url}/v3/kv/range`, JSON.stringify({ key: b64(keyOf(start)), range_end: PREFIX_END, limit: RANGE_KEYS }));
      if ((r['kvs'] as unknown[] | undefined)?.length !== Math.min(RANGE_KEYS, keys - start)) throw new Error(`${kind}: short range`);
    })));
    // Issue 18: a full range of 100k keys, streamed, at no less than etcd's bytes per second.
    const fullKeys = Math.min(FULL_RANGE_KEYS, keys);
    const fullBody = JSON.stringify({ key: PREFIX, range_end: b64(keyOf(fullKeys)) });
    const fullRange = median(await sequential(3, async () => {
      const t0 = performance.now();
      const r = await fetch(`${m.url}/v3/kv/range`, { method: 'POST', body: fullBody });
      const bytes = (await r.arrayBuffer()).byteLength;
      if (r.status !== 200) throw new Error(`${kind}: full range answered ${r.status}`);
      return bytes / 1e6 / ((performance.now() - t0) / 1000);
    }));
    return { loadRate, rss, disk, restart, count, range, fullRange };
  } finally {
    await m.stop();
  }
}

async function sequential<T>(n: number, f: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await f(i));
  return out;
}

if (kinds.includes('etcd') && !hasEtcd()) {
  console.error('bench:scale needs etcd (apt-get install etcd-server) to compare against; or pass --only cairn');
  process.exit(2);
}
const loadAtStart = loadavg().map((l) => l.toFixed(2)).join(' ');
const rows = new Map<Kind, Row>();
if (!watchOnly) for (const kind of kinds) rows.set(kind, await measure(kind));
const joins = new Map<Kind, JoinResult>();
// etcd then cairn, each on its own fresh 3 members, right after the key rows.
if (withJoin) for (const kind of kinds) joins.set(kind, await measureJoin(kind, joinKeys, kind === 'cairn' ? nodeArgs : []));
closeJoinClient();
const watchMetrics = new Map<Kind, WatchMetric[]>(kinds.map((k) => [k, []]));
const watchRowNames = process.argv.includes('--no-watch') ? [] : (arg('watch-rows', 'fanout,rate,catchup').split(',') as WatchRowName[]);
for (const name of watchRowNames) {
  // Row by row, etcd then cairn, so both meet the same load on this shared machine.
  for (const kind of kinds) {
    const metrics = await WATCH_ROWS[name](kind, watchOptions, nodeArgs);
    for (const x of metrics) console.log(`${kind}: ${x.name}: ${x.show(x.value)}`);
    watchMetrics.get(kind)?.push(...metrics);
  }
}
closeClient();

const MiB = 2 ** 20;
const fmt: Record<keyof Row, [string, (v: number) => string, 'higher' | 'lower']> = {
  loadRate: ['load rate (keys/s)', (v) => v.toFixed(0), 'higher'],
  rss: ['RSS after load', (v) => `${(v / MiB).toFixed(0)} MiB`, 'lower'],
  disk: ['data on disk', (v) => `${(v / MiB).toFixed(0)} MiB`, 'lower'],
  restart: ['restart after SIGKILL, until a linearizable range answers', (v) => `${v.toFixed(2)} s`, 'lower'],
  count: [`count of all keys (\`count_only\`), median of ${reads}`, (v) => `${v.toFixed(3)} s`, 'lower'],
  range: [`range of ${RANGE_KEYS} keys, median of ${reads}`, (v) => `${v.toFixed(3)} s`, 'lower'],
  fullRange: [`full range of the first ${Math.min(FULL_RANGE_KEYS, keys)} keys, one answer, MB/s of JSON received, median of 3`, (v) => `${v.toFixed(1)} MB/s`, 'higher'],
};
const e = rows.get('etcd');
const c = rows.get('cairn');
const line = (name: string, show: (v: number) => string, ev: number | undefined, cv: number | undefined): string =>
  `| ${name} | ${ev !== undefined ? show(ev) : ''} | ${cv !== undefined ? show(cv) : ''} | ${ev !== undefined && cv !== undefined ? (cv / ev).toFixed(2) : ''} |`;
const lines = watchOnly ? [] : (Object.keys(fmt) as (keyof Row)[]).map((k) => line(fmt[k][0], fmt[k][1], e?.[k], c?.[k]));
if (withJoin) lines.push(...joinLines(joins.get('etcd'), joins.get('cairn')));
const ew = watchMetrics.get('etcd') ?? [];
const cw = watchMetrics.get('cairn') ?? [];
for (let i = 0; i < Math.max(ew.length, cw.length); i++) {
  const x = (ew[i] ?? cw[i]) as WatchMetric;
  lines.push(line(x.name, x.show, ew[i]?.value, cw[i]?.value));
}
/** The snapshot rows; a figure only one of them has (cairn's log phases and loop delay) leaves the other's cell 'n/a'. */
function joinLines(ej: JoinResult | undefined, cj: JoinResult | undefined): string[] {
  const what = `snapshot catch-up of a 3rd member, ${joinKeys} keys`;
  // The last field: whether the two figures compare (etcd first answers once caught up, so its RSS and probe rows do not).
  const rows: [string, (r: JoinResult) => number | undefined, (v: number) => string, boolean?][] = [
    ['time from its spawn until caught up', (r) => r.seconds, (v) => `${v.toFixed(2)} s`],
    ["leader's backend (dbSize) / catch-up time", (r) => r.dbBytes / 1e6 / r.seconds, (v) => `${v.toFixed(1)} MB/s`],
    ['of which transfer + install (from the logs), as MB/s (target >= 50)', (r) => (r.phases === undefined ? undefined : r.dbBytes / 1e6 / r.phases.transfer), (v) => `${v.toFixed(1)} MB/s`],
    ['peak RSS above its first answer (target < 100 MB)', (r) => r.rssAboveMiB, (v) => `${v.toFixed(0)} MiB`, false],
    ['slowest `GET /version` probe on it, every 10 ms', (r) => r.maxProbeMs, (v) => `${v.toFixed(0)} ms`, false],
    ['longest event-loop delay, where the Ready loop runs (`/metrics`, target < 100 ms)', (r) => r.loopLagMaxMs, (v) => `${v.toFixed(0)} ms`],
  ];
  return rows.map(([name, get, show, compares = true]) => {
    const ev = ej === undefined ? undefined : get(ej);
    const cv = cj === undefined ? undefined : get(cj);
    const cellOf = (r: JoinResult | undefined, v: number | undefined) => (r === undefined ? '' : v === undefined ? 'n/a' : show(v));
    return `| ${what}: ${name} | ${cellOf(ej, ev)} | ${cellOf(cj, cv)} | ${compares && ev !== undefined && cv !== undefined && ev > 0 ? (cv / ev).toFixed(2) : ''} |`;
  });
}
const table = `| ${watchOnly ? 'watch' : `${keys} keys`} | ${etcdVersion()} | cairn | cairn / etcd |\n|---|---|---|---|\n${lines.join('\n')}`;
console.log(`\n${table}`);
const date = new Date().toISOString();
const command = `npm run bench:scale -- ${process.argv.slice(2).join(' ')}`.trim();
// --no-write: print only (A/B runs of one row, profiling).
if (!process.argv.includes('--no-write')) writeSection(
  `scale ${date}`,
  `## Scale: ${watchOnly ? 'watch rows' : `${keys} keys`} on one member, etcd and cairn in turn (\`bench/scale.ts\`), ${date}\n\n` +
    `Command: \`${command}\` (after \`npm run build\`). ${cpus().length} cores, ${cpus()[0]?.model ?? ''}; load average at start ${loadAtStart}, at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}. ` +
    (watchOnly ? '' : `${VALUE_BYTES} B random values, txns of ${TXN_PUTS} puts, ${IN_FLIGHT} in flight; `) +
    `fresh data dir each${withJoin ? `; snapshot rows: bench/snapshot-join-run.ts (as \`npm run bench:join\`), 2 members loaded with ${joinKeys} keys and 6,500 more entries, a 3rd joining` : ''}${watchRowNames.length > 0 ? `; watch rows: bench/scale-watch.ts, each on a fresh member, ${watchOptions.client === 'grpc' ? "raw gRPC Watch streams (etcd's Watch service)" : 'raw `/v3/watch` JSON streams'} for both` : ''}.\n\n${table}\n`,
);
