/**
 * One client, one request at a time: latency over gRPC against the JSON gateway on the same
 * cluster, interleaved, to isolate what the gRPC layer adds (issue 17), with the leader's CPU per
 * request. With `--etcd` the same two doors on an etcd cluster in the same run. `--op range` times
 * serializable ranges of one key instead of puts (little server work: the doors' own cost shows).
 * `--door grpc` (or `gateway`) alone and `--cpu-prof DIR` profile one door in the cairn members.
 * Every door first gets `--warmup` unmeasured seconds (default 4): a fresh process is still compiling its hot paths.
 *
 *   npm run build && npm run bench:grpc-latency -- --seconds 3 --rounds 3 [--etcd] [--members 1] [--op range]
 */
import { loadavg } from 'node:os';
import { credentials, loadPackageDefinition, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { cpuSeconds, hasEtcd, leaderIndex, startCluster, type BenchCluster, type Kind } from './clusters.js';
import { latencySummary } from './wal-report.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
};
const seconds = Number(arg('seconds', '3'));
const rounds = Number(arg('rounds', '3'));
const members = Number(arg('members', '3'));
const profDir = arg('cpu-prof', '');
const withEtcd = process.argv.includes('--etcd') && hasEtcd();
/** `grpc`, `gateway` or both (the default): one door alone gives a profile of that door only. */
const doors = arg('door', 'grpc,gateway').split(',');
const op = arg('op', 'put');
const warmupSeconds = Number(arg('warmup', '4'));

type Ctor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client;
const pkg = loadPackageDefinition(
  loadSync('rpc.proto', { includeDirs: [new URL('../proto/', import.meta.url).pathname], keepCase: true, longs: String, enums: String }),
) as unknown as { etcdserverpb: { KV: Ctor } };
type Unary = (req: object, cb: (err: ServiceError | null) => void) => void;

const value = Buffer.alloc(256, 'x');

async function loop(once: (i: number) => Promise<void>, forSeconds = seconds): Promise<number[]> {
  const latencies: number[] = [];
  const end = performance.now() + forSeconds * 1000;
  for (let i = 0; performance.now() < end; i++) {
    const start = performance.now();
    await once(i);
    latencies.push(performance.now() - start);
  }
  return latencies;
}

/** The leader's WAL fsyncs so far (etcd's metric, which cairn exports under the same name). */
async function fsyncs(url: string): Promise<{ count: number; seconds: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { count: read('etcd_disk_wal_fsync_duration_seconds_count'), seconds: read('etcd_disk_wal_fsync_duration_seconds_sum') };
}

const key = (i: number): Buffer => Buffer.from(op === 'put' ? `lat/${i % 100}` : 'lat/0');

async function grpcRequests(host: string, forSeconds?: number): Promise<number[]> {
  const kv = new pkg.etcdserverpb.KV(host, credentials.createInsecure());
  const [method, body] = op === 'put' ? ['Put', (i: number) => ({ key: key(i), value })] : ['Range', (i: number) => ({ key: key(i), serializable: true })];
  const rpc = (kv as unknown as Record<string, Unary>)[method] as Unary;
  try {
    return await loop((i) => new Promise((resolve, reject) => rpc.call(kv, body(i), (err) => (err ? reject(err) : resolve()))), forSeconds);
  } finally {
    kv.close();
  }
}

async function gatewayRequests(url: string, forSeconds?: number): Promise<number[]> {
  const v = value.toString('base64');
  const [path, body] = op === 'put'
    ? ['/v3/kv/put', (i: number) => ({ key: key(i).toString('base64'), value: v })]
    : ['/v3/kv/range', (i: number) => ({ key: key(i).toString('base64'), serializable: true })];
  return loop(async (i) => {
    const r = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body(i)) });
    if (!r.ok) throw new Error(`gateway ${path}: ${r.status}`);
    await r.arrayBuffer();
  }, forSeconds);
}

const requests = (door: string, url: string, forSeconds?: number): Promise<number[]> =>
  door === 'grpc' ? grpcRequests(url.slice('http://'.length), forSeconds) : gatewayRequests(url, forSeconds);

console.log(`load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${new Date().toISOString()}`);
const clusters: Partial<Record<Kind, BenchCluster>> = {
  cairn: await startCluster('cairn', members, profDir === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir]),
  ...(withEtcd ? { etcd: await startCluster('etcd', members) } : {}),
};
try {
  const leaders = new Map<Kind, string>();
  const leaderPids = new Map<Kind, number>();
  for (const [kind, c] of Object.entries(clusters) as [Kind, BenchCluster][]) {
    const i = await leaderIndex(c);
    leaders.set(kind, c.urls[i] as string);
    leaderPids.set(kind, c.pids[i] as number);
    for (const door of doors) await requests(door, c.urls[i] as string, warmupSeconds);
  }
  for (let round = 0; round < rounds; round++) {
    for (const [kind, url] of leaders) {
      for (const door of round % 2 === 0 ? doors : [...doors].reverse()) {
        const pid = leaderPids.get(kind) as number;
        const cpu0 = cpuSeconds(pid);
        const sync0 = await fsyncs(url);
        const lat = await requests(door, url);
        const cpuUs = ((cpuSeconds(pid) - cpu0) / lat.length) * 1e6;
        const sync1 = await fsyncs(url);
        const syncs = sync1.count - sync0.count;
        const fsync = syncs > 0 ? `  leader fsync ${(((sync1.seconds - sync0.seconds) / syncs) * 1000).toFixed(2)} ms × ${(syncs / lat.length).toFixed(2)}/${op}` : '';
        const { p50, p99 } = latencySummary(lat);
        console.log(
          `round ${round + 1} ${kind.padEnd(5)} ${door.padEnd(7)} ${String(lat.length).padStart(5)} ${op}s  p50 ${p50.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms  ` +
            `leader CPU ${cpuUs.toFixed(0)} µs/${op}${fsync}`,
        );
      }
    }
  }
} finally {
  await Promise.all(Object.values(clusters).map((c) => c.stop()));
}
console.log(`load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
