/**
 * How long one CLI command takes, start to exit: `cairn get foo` from the built package
 * (`dist/`, what an installed `cairn` runs) and from a checkout (`bin/cairn.mjs`, through tsx)
 * beside `etcdctl get foo`, each against a one-member cluster of its own, 20 runs each,
 * interleaved so load on the shared machine hits all alike. Needs `npm run build` first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { etcdVersion, hasEtcd, startCluster, type BenchCluster } from './clusters.js';
import { latencySummary, machineFacts, writeSection } from './wal-report.js';

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.CLI_RUNS ?? 20);


interface Runner {
  readonly label: string;
  readonly command: (endpoint: string) => [string, string[]];
  readonly cluster: 'cairn' | 'etcd';
}

const RUNNERS: Runner[] = [
  // The floor: Node starting and exiting with nothing to load.
  { label: '`node -e ...` (Node alone, for scale)', cluster: 'cairn', command: () => [process.execPath, ['-e', 'process.stdout.write("bar")']] },
  { label: '`node dist/src/cli/main.js get foo` (installed package)', cluster: 'cairn', command: (e) => [process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'get', 'foo', `--endpoints=${e}`]] },
  { label: '`node bin/cairn.mjs get foo` (checkout, via tsx)', cluster: 'cairn', command: (e) => [process.execPath, [join(ROOT, 'bin/cairn.mjs'), 'get', 'foo', `--endpoints=${e}`]] },
  { label: '`etcdctl get foo`', cluster: 'etcd', command: (e) => ['etcdctl', ['get', 'foo', `--endpoints=${e}`]] },
];

function timeOnce(cmd: string, args: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0 || !r.stdout.includes('bar')) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return ms;
}

if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) {
  console.error('bench:cli needs the build: run `npm run build` first');
  process.exit(2);
}
if (!hasEtcd()) {
  console.error('bench:cli needs etcd and etcdctl (apt-get install etcd-server etcd-client) for the comparison');
  process.exit(2);
}
const clusters: Record<'cairn' | 'etcd', BenchCluster> = { cairn: await startCluster('cairn', 1), etcd: await startCluster('etcd', 1) };
const facts = machineFacts(ROOT);
try {
  for (const c of Object.values(clusters)) {
    const res = await fetch(`${c.urls[0]}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: btoa('foo'), value: btoa('bar') }) });
    if (!res.ok) throw new Error(`${c.kind}: put foo failed: ${res.status}`);
  }
  const samples = new Map<Runner, number[]>(RUNNERS.map((r) => [r, []]));
  for (const r of RUNNERS) timeOnce(...r.command(clusters[r.cluster].urls[0] as string)); // warm the page cache
  for (let i = 0; i < RUNS; i++) {
    for (const r of RUNNERS) samples.get(r)?.push(timeOnce(...r.command(clusters[r.cluster].urls[0] as string)));
  }
  const rows = RUNNERS.map((r) => {
    const s = latencySummary(samples.get(r) ?? []);
    const sorted = [...(samples.get(r) ?? [])].sort((a, b) => a - b);
    return `| ${r.label} | ${s.p50.toFixed(0)} | ${s.mean.toFixed(0)} | ${(sorted[0] ?? NaN).toFixed(0)} | ${(sorted.at(-1) ?? NaN).toFixed(0)} |`;
  });
  const markdown =
    `## CLI start: one command, start to exit (\`bench/cli-start.ts\`)\n\n` +
    `Command: \`npm run build && npm run bench:cli\` (${RUNS} runs of each, interleaved; ${etcdVersion()}; ` +
    `each against a one-member cluster of its own on 127.0.0.1). Target: under 150 ms per cairn command from the build.\n\n` +
    `${facts}\n\n| command | p50 ms | mean ms | min ms | max ms |\n|---|---|---|---|---|\n${rows.join('\n')}\n`;
  console.log(markdown);
  writeSection('cli-start', markdown);
} finally {
  await Promise.all([clusters.cairn.stop(), clusters.etcd.stop()]);
}
