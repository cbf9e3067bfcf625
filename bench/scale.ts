/**
 * A million keys on one member: etcd 3.4 and cairn in turn, fresh data dirs, the same client code
 * over etcd's v3 JSON gateway. Loads N keys of 256 random bytes in txns of 100 puts, 8 txns in
 * flight, then measures: load rate, RSS after load, bytes on disk, restart after kill -9 until a
 * linearizable range answers, a count_only over every key, and a range of 1,000 keys. Appends the
 * table to bench/RESULTS.md as a new section (date, load, command).
 *
 *   npm run build && nice -n 10 npm run bench:scale -- --keys 100000
 *   (--only cairn|etcd; --reads 5 samples per read row; CAIRN_BENCH_NODE_ARGS="--cpu-prof ..." for cairn)
 */
import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { etcdVersion, hasEtcd, type Kind } from './clusters.js';
import { diskBytes, rssBytes, startScaleMember, type ScaleMember } from './scale-member.js';
import { writeSection } from './wal-report.js';

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

const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const keyOf = (i: number) => `scale/${String(i).padStart(8, '0')}`;
const PREFIX = b64('scale/');
const PREFIX_END = b64('scale0'); // '/' + 1

function post(url: string, body: string): Promise<{ status: number; text: string }> {
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

async function ok(url: string, body: string): Promise<Record<string, unknown>> {
  const r = await post(url, body);
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${r.text.slice(0, 200)}`);
  return JSON.parse(r.text) as Record<string, unknown>;
}

async function waitReady(m: ScaleMember, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A linearizable range: answers only once the member has a leader and has applied its log.
    const r = await post(`${m.url}/v3/kv/range`, JSON.stringify({ key: b64('scale/ready') })).catch(() => undefined);
    if (r?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${m.kind} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function load(m: ScaleMember): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < keys) {
      const from = next;
      next = Math.min(keys, next + TXN_PUTS);
      const success = [];
      for (let i = from; i < next; i++) success.push({ request_put: { key: b64(keyOf(i)), value: randomBytes(VALUE_BYTES).toString('base64') } });
      await ok(`${m.url}/v3/kv/txn`, JSON.stringify({ success }));
    }
  }));
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
    return { loadRate, rss, disk, restart, count, range };
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
for (const kind of kinds) rows.set(kind, await measure(kind));
agent.destroy();

const MiB = 2 ** 20;
const fmt: Record<keyof Row, [string, (v: number) => string, 'higher' | 'lower']> = {
  loadRate: ['load rate (keys/s)', (v) => v.toFixed(0), 'higher'],
  rss: ['RSS after load', (v) => `${(v / MiB).toFixed(0)} MiB`, 'lower'],
  disk: ['data on disk', (v) => `${(v / MiB).toFixed(0)} MiB`, 'lower'],
  restart: ['restart after SIGKILL, until a linearizable range answers', (v) => `${v.toFixed(2)} s`, 'lower'],
  count: [`count of all keys (\`count_only\`), median of ${reads}`, (v) => `${v.toFixed(3)} s`, 'lower'],
  range: [`range of ${RANGE_KEYS} keys, median of ${reads}`, (v) => `${v.toFixed(3)} s`, 'lower'],
};
const e = rows.get('etcd');
const c = rows.get('cairn');
const lines = (Object.keys(fmt) as (keyof Row)[]).map((k) => {
  const [name, show] = fmt[k];
  const ratio = e !== undefined && c !== undefined ? (c[k] / e[k]).toFixed(2) : '';
  return `| ${name} | ${e ? show(e[k]) : ''} | ${c ? show(c[k]) : ''} | ${ratio} |`;
});
const table = `| ${keys} keys | ${etcdVersion()} | cairn | cairn / etcd |\n|---|---|---|---|\n${lines.join('\n')}`;
console.log(`\n${table}`);
const date = new Date().toISOString();
const command = `npm run bench:scale -- ${process.argv.slice(2).join(' ')}`.trim();
writeSection(
  `scale ${date}`,
  `## Scale: ${keys} keys on one member, etcd and cairn in turn (\`bench/scale.ts\`), ${date}\n\n` +
    `Command: \`${command}\` (after \`npm run build\`). ${cpus().length} cores, ${cpus()[0]?.model ?? ''}; load average at start ${loadAtStart}. ` +
    `${VALUE_BYTES} B random values, txns of ${TXN_PUTS} puts, ${IN_FLIGHT} in flight; fresh data dir each.\n\n${table}\n`,
);
