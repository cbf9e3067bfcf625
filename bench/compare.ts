/**
 * cairn against etcd 3.4 in one run, over etcd's v3 JSON gateway, 3 members each, both clusters up
 * at once and the workloads interleaved (etcd and cairn alternate which goes first each round), so
 * drift in the machine's load hits both alike. Closed-loop clients send to the leader, as the
 * issue's table did. For each workload: median over rounds of ops/s, p50, p99, and CPU per
 * operation of the leader and of the followers (from /proc, user + system).
 *
 *   npm run build && npm run bench:compare -- --rounds 3 --seconds 5
 *   (--only put-16,txn-64 for a subset; --value-bytes 256)
 */
import { cpus, loadavg } from 'node:os';
import { Agent, request as httpRequest } from 'node:http';
import { cpuSeconds, etcdVersion, hasEtcd, leaderIndex, startCluster, type BenchCluster, type Kind } from './clusters.js';
import { writeSection } from './wal-report.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
};
const rounds = Number(arg('rounds', '3'));
const seconds = Number(arg('seconds', '5'));
const valueBytes = Number(arg('value-bytes', '256'));
const only = arg('only', '').split(',').filter((s) => s !== '');
/** Extra node flags for cairn members, e.g. CAIRN_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const nodeArgs = (process.env['CAIRN_BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');

type Op = 'put' | 'range' | 'serializable' | 'txn';
interface Workload {
  readonly name: string;
  readonly op: Op;
  readonly clients: number;
}

const WORKLOADS = ([
  { name: 'put-1', op: 'put', clients: 1 },
  { name: 'put-16', op: 'put', clients: 16 },
  { name: 'put-64', op: 'put', clients: 64 },
  { name: 'put-256', op: 'put', clients: 256 },
  { name: 'range-64', op: 'range', clients: 64 },
  { name: 'serializable-64', op: 'serializable', clients: 64 },
  { name: 'txn-64', op: 'txn', clients: 64 },
] satisfies Workload[]).filter((w) => only.length === 0 || only.includes(w.name));

const b64 = (s: string) => Buffer.from(s).toString('base64');
const value = Buffer.alloc(valueBytes, 'x').toString('base64');
const KEYS_PER_CLIENT = 100;

function request(op: Op, client: number, i: number): { path: string; body: string } {
  const key = b64(`bench/${client}/${i % KEYS_PER_CLIENT}`);
  switch (op) {
    case 'put':
      return { path: '/v3/kv/put', body: JSON.stringify({ key, value }) };
    case 'range':
      return { path: '/v3/kv/range', body: JSON.stringify({ key }) };
    case 'serializable':
      return { path: '/v3/kv/range', body: JSON.stringify({ key, serializable: true }) };
    case 'txn':
      // Compare-and-put that always succeeds (mod revision below a bound), as a CAS loop's happy path.
      return {
        path: '/v3/kv/txn',
        body: JSON.stringify({
          compare: [{ key, target: 'MOD', result: 'LESS', mod_revision: '1000000000' }],
          success: [{ request_put: { key, value } }],
        }),
      };
  }
}

/** Why requests failed, by "status: body" or the socket error's code, so a failed request is explained. */
const failures = new Map<string, number>();
const noteFailure = (why: string) => failures.set(why, (failures.get(why) ?? 0) + 1);

/** One POST on a kept-alive connection; true when it answered 200. */
function post(agent: Agent, url: string, body: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      if (res.statusCode === 200) {
        res.resume();
        res.on('end', () => resolve(true));
      } else {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          noteFailure(`${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 160)}`);
          resolve(false);
        });
      }
      res.on('error', (err: NodeJS.ErrnoException) => {
        noteFailure(`response ${err.code ?? err.message}`);
        resolve(false);
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      noteFailure(`request ${err.code ?? err.message}`);
      resolve(false);
    });
    req.end(body);
  });
}

interface Sample {
  readonly opsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly leaderCpuMsPerOp: number;
  readonly followerCpuMsPerOp: number;
}

async function run(c: BenchCluster, leader: number, w: Workload, runSeconds: number): Promise<Sample> {
  const url = c.urls[leader] as string;
  const agent = new Agent({ keepAlive: true, maxSockets: w.clients });
  const latencies: number[] = [];
  let errors = 0;
  const cpuBefore = c.pids.map(cpuSeconds);
  const t0 = performance.now();
  const end = t0 + runSeconds * 1000;
  await Promise.all(Array.from({ length: w.clients }, async (_, client) => {
    for (let i = 0; performance.now() < end; i++) {
      const { path, body } = request(w.op, client, i);
      const start = performance.now();
      if (await post(agent, `${url}${path}`, body)) latencies.push(performance.now() - start);
      else errors++;
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  const cpuAfter = c.pids.map(cpuSeconds);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const ops = Math.max(1, latencies.length);
  const used = cpuAfter.map((a, i) => a - (cpuBefore[i] as number));
  const followers = used.filter((_, i) => i !== leader);
  return {
    opsPerSecond: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    errors,
    leaderCpuMsPerOp: ((used[leader] as number) * 1000) / ops,
    followerCpuMsPerOp: (followers.reduce((a, b) => a + b, 0) * 1000) / followers.length / ops,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

if (!hasEtcd()) {
  console.error('bench:compare needs etcd (apt-get install etcd-server); it compares cairn against it');
  process.exit(2);
}
const loadAtStart = loadavg().map((l) => l.toFixed(2)).join(' ');
const clusters: Record<Kind, BenchCluster> = { cairn: await startCluster('cairn', 3, nodeArgs), etcd: await startCluster('etcd', 3) };
const samples = new Map<string, Sample[]>();
try {
  const leaders = { cairn: await leaderIndex(clusters.cairn), etcd: await leaderIndex(clusters.etcd) };
  for (const kind of ['cairn', 'etcd'] as const) await run(clusters[kind], leaders[kind], { name: 'warm-up', op: 'put', clients: 16 }, 2);
  failures.clear();
  for (let round = 0; round < rounds; round++) {
    for (const w of WORKLOADS) {
      const order: Kind[] = round % 2 === 0 ? ['etcd', 'cairn'] : ['cairn', 'etcd'];
      for (const kind of order) {
        const s = await run(clusters[kind], leaders[kind], w, seconds);
        const key = `${w.name}/${kind}`;
        samples.set(key, [...(samples.get(key) ?? []), s]);
        console.log(`round ${round + 1} ${w.name.padEnd(16)} ${kind.padEnd(5)} ${s.opsPerSecond.toFixed(0).padStart(6)} ops/s  p50 ${s.p50.toFixed(1)} ms  p99 ${s.p99.toFixed(1)} ms  ` +
          `cpu/op leader ${s.leaderCpuMsPerOp.toFixed(3)} ms follower ${s.followerCpuMsPerOp.toFixed(3)} ms  errors ${s.errors}`);
        for (const [why, n] of failures) console.log(`  ${n} failed: ${why}`);
        failures.clear();
      }
    }
  }
} finally {
  await Promise.all([clusters.cairn.stop(), clusters.etcd.stop()]);
}

const med = (name: string, kind: Kind, f: (s: Sample) => number) => median((samples.get(`${name}/${kind}`) ?? []).map(f));
const rows = WORKLOADS.map((w) => {
  const e = (f: (s: Sample) => number) => med(w.name, 'etcd', f);
  const c = (f: (s: Sample) => number) => med(w.name, 'cairn', f);
  const ratio = c((s) => s.opsPerSecond) / e((s) => s.opsPerSecond);
  const errs = (kind: Kind) => (samples.get(`${w.name}/${kind}`) ?? []).reduce((a, s) => a + s.errors, 0);
  return `| ${w.name} | ${e((s) => s.opsPerSecond).toFixed(0)} (${e((s) => s.p50).toFixed(1)} / ${e((s) => s.p99).toFixed(1)}) | ` +
    `${c((s) => s.opsPerSecond).toFixed(0)} (${c((s) => s.p50).toFixed(1)} / ${c((s) => s.p99).toFixed(1)}) | **${ratio.toFixed(2)}** | ` +
    `${e((s) => s.leaderCpuMsPerOp).toFixed(3)} / ${e((s) => s.followerCpuMsPerOp).toFixed(3)} | ` +
    `${c((s) => s.leaderCpuMsPerOp).toFixed(3)} / ${c((s) => s.followerCpuMsPerOp).toFixed(3)} | ${errs('etcd')} / ${errs('cairn')} |`;
});
const table =
  `| workload | etcd ops/s (p50 / p99 ms) | cairn ops/s (p50 / p99 ms) | cairn / etcd | etcd CPU ms/op leader / follower | cairn CPU ms/op leader / follower | errors etcd / cairn |\n` +
  `|---|---|---|---|---|---|---|\n${rows.join('\n')}`;
console.log(`\n${table}`);
const command = `npm run bench:compare -- ${process.argv.slice(2).join(' ')}`.trim();
writeSection(
  'compare',
  `## cairn vs etcd, same run (\`bench/compare.ts\`)\n\n` +
    `Command: \`${command}\` (after \`npm run build\`). ${etcdVersion()}; ${cpus().length} cores, ${cpus()[0]?.model ?? ''}; ` +
    `load average at start ${loadAtStart}; ${new Date().toISOString()}.\n` +
    `3 members each, both clusters up, workloads interleaved; ${valueBytes} B values; closed-loop clients to the leader; ` +
    `${seconds} s per sample, median of ${rounds} rounds. Workloads: \`put-N\` N clients putting (100 keys each); \`range-64\` ` +
    `linearizable single-key ranges; \`serializable-64\` serializable ones; \`txn-64\` compare (mod revision) and put. CPU ms/op: ` +
    `user + system CPU of the process over the sample, per completed operation (follower = mean of the two).\n\n${table}\n`,
);
