/**
 * Cluster load over etcd's v3 JSON gateway, against cairn and (when installed) etcd 3.4 on the
 * same machine, side by side: `npm run bench:cluster -- --members 3 --clients 16 --seconds 10
 * --op put|get|mixed --value-bytes 256 [--target cairn|etcd|both]`. Each target runs as real
 * processes on 127.0.0.1 with fresh data dirs; every process is stopped by its PID.
 */
import { cpus } from 'node:os';
import { etcdVersion as etcdVersionLine, hasEtcd as etcdInstalled, startCluster, type BenchCluster as Cluster } from './clusters.js';
import { writeSection } from './wal-report.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
};
const members = Number(arg('members', '3'));
const clients = Number(arg('clients', '16'));
const seconds = Number(arg('seconds', '10'));
const op = arg('op', 'put') as 'put' | 'get' | 'mixed';
const valueBytes = Number(arg('value-bytes', '256'));
const target = arg('target', 'both');
/** Extra node flags for cairn members, e.g. CAIRN_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const nodeArgs = (process.env['CAIRN_BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');

const b64 = (s: string) => Buffer.from(s).toString('base64');
const value = Buffer.alloc(valueBytes, 'x').toString('base64');

async function load(c: Cluster, runSeconds: number): Promise<{ ops: number; errors: number; p50: number; p99: number; perSecond: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const end = Date.now() + runSeconds * 1000;
  const worker = async (w: number) => {
    const url = c.urls[w % c.urls.length] as string;
    let i = 0;
    while (Date.now() < end) {
      const doPut = op === 'put' || (op === 'mixed' && i % 2 === 0);
      const key = b64(`bench/${w}/${i % 1000}`);
      const body = doPut ? JSON.stringify({ key, value }) : JSON.stringify({ key });
      const t0 = performance.now();
      try {
        const r = await fetch(`${url}/v3/kv/${doPut ? 'put' : 'range'}`, { method: 'POST', body });
        await r.arrayBuffer();
        if (r.ok) latencies.push(performance.now() - t0);
        else errors++;
      } catch {
        errors++;
      }
      i++;
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: clients }, (_, w) => worker(w)));
  const elapsed = (Date.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { ops: latencies.length, errors, p50: at(0.5), p99: at(0.99), perSecond: latencies.length / elapsed };
}

const hasEtcd = etcdInstalled();
const kinds = (target === 'both' ? ['cairn', 'etcd'] : [target]).filter((k) => k !== 'etcd' || hasEtcd) as Array<'cairn' | 'etcd'>;
const rows: string[] = [];
const results: Record<string, number> = {};
for (const kind of kinds) {
  const c = await startCluster(kind, members, nodeArgs);
  try {
    await load(c, Math.min(2, seconds)); // warm-up: connections, JIT, first leader's no-op
    const r = await load(c, seconds);
    results[kind] = r.perSecond;
    rows.push(`| ${c.kind} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms | ${r.errors} |`);
    console.log(`${c.kind}: ${r.perSecond.toFixed(0)} ops/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, errors ${r.errors}`);
  } finally {
    await c.stop();
  }
}
if (results.cairn !== undefined && results.etcd !== undefined) {
  console.log(`cairn/etcd throughput ratio: ${(results.cairn / results.etcd).toFixed(2)}`);
}
const command = `npm run bench:cluster -- ${process.argv.slice(2).join(' ')}`.trim();
const etcdVersion = etcdVersionLine();
writeSection(
  `cluster-load-${op}-${members}`,
  `## Cluster load over the gateway: ${op}, ${members} member(s), ${clients} clients (\`bench/cluster-load.ts\`)\n\n` +
    `Command: \`${command}\` (run \`npm run build\` first). Machine: ${cpus().length} cores, ${cpus()[0]?.model ?? ''}; ${etcdVersion}; ` +
    `value ${valueBytes} B, ${seconds} s per target after a warm-up run, a fresh cluster per target.\n\n` +
    `| target | ops/s | p50 | p99 | errors |\n|---|---|---|---|---|\n${rows.join('\n')}\n` +
    (results.cairn !== undefined && results.etcd !== undefined ? `\ncairn/etcd throughput: ${(results.cairn / results.etcd).toFixed(2)}×\n` : ''),
);
