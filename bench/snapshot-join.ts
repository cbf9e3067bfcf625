/**
 * A new member catching up by snapshot, end to end over loopback (issue 18): etcd and cairn in
 * turn, each a 2-member cluster loaded with N keys that a 3rd member then joins; what is measured
 * and how is in bench/snapshot-join-run.ts, which bench:scale's snapshot rows share.
 *
 *   npm run build && npm run bench:join -- --keys 200000 [--only cairn|etcd] [--rounds 1]
 *   (CAIRN_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the cairn members;
 *   CAIRN_BENCH_BASE=<another checkout, built> adds the kind `cairn-base`, that build, for
 *   interleaved before/after runs: `--only cairn-base,cairn --rounds 3`)
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { etcdVersion, hasEtcd, type Kind } from './clusters.js';
import { closeJoinClient, JOIN_TICKS, JOIN_VALUE_BYTES, measureJoin } from './snapshot-join-run.js';
import { phaseCell } from './snapshot-join-phases.js';
import { writeSection } from './wal-report.js';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '200000' },
    only: { type: 'string', default: 'cairn,etcd' },
    rounds: { type: 'string', default: '1' },
    'no-write': { type: 'boolean', default: false },
  },
});
const KEYS = Number(args.keys);
type JoinKind = Kind | 'cairn-base';
const KINDS = args.only.split(',') as JoinKind[];
const BASE = process.env['CAIRN_BENCH_BASE'];
if (KINDS.includes('cairn-base') && BASE === undefined) {
  console.error('--only cairn-base needs CAIRN_BENCH_BASE=<a built checkout>');
  process.exit(2);
}
const ROUNDS = Number(args.rounds);
/** Extra node flags for cairn members (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). */
const NODE_ARGS = (process.env['CAIRN_BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');

if (KINDS.includes('etcd') && !hasEtcd()) {
  console.error('bench:join needs etcd to compare against; or pass --only cairn');
  process.exit(2);
}
const loadAtStart = loadavg().map((l) => l.toFixed(2)).join(' ');
const rows: string[] = [];
const phaseLines: string[] = [];
// Rounds alternate the kinds, so both see the same stretch of a shared machine's load.
for (let round = 1; round <= ROUNDS; round++) {
  for (const kind of KINDS) {
    const load1 = loadavg()[0]?.toFixed(1) ?? '';
    const r = kind === 'etcd' ? await measureJoin('etcd', KEYS) : await measureJoin('cairn', KEYS, NODE_ARGS, { cairnRoot: kind === 'cairn-base' ? BASE : undefined });
    const p = r.phases;
    const phases = p === undefined ? 'n/a' : `${p.boot.toFixed(2)} / ${p.untilSent.toFixed(2)} / ${p.transfer.toFixed(2)} s (${(r.dbBytes / 1e6 / p.transfer).toFixed(1)} MB/s)`;
    const lag = r.loopLagMaxMs === undefined ? 'n/a' : `${r.loopLagMaxMs.toFixed(0)} ms`;
    const row = `| ${kind} | ${round} | ${load1} | ${r.seconds.toFixed(2)} s | ${phases} | ${(r.dbBytes / 1e6).toFixed(1)} MB | ${(r.dbBytes / 1e6 / r.seconds).toFixed(1)} MB/s | ${r.maxProbeMs.toFixed(0)} ms (${r.probes} probes) | ${lag} | ${r.rssAboveMiB.toFixed(0)} MiB |`;
    console.log(row);
    rows.push(row);
    if (r.phaseRows.length > 0) {
      const line = `- ${kind}, round ${round}: ${r.phaseRows.map(phaseCell).join('; ')}`;
      console.log(line);
      phaseLines.push(line);
    }
  }
}
closeJoinClient();
const command = `npm run bench:join -- ${process.argv.slice(2).join(' ')}`.trim();
const md = [
  `## A 3rd member joining by snapshot, end to end (\`bench/snapshot-join.ts\`), ${new Date().toISOString()}`,
  '',
  `Command: \`${command}\` (after \`npm run build\`). ${etcdVersion()}; ${cpus().length} cores, ${cpus()[0]?.model ?? ''}; load average at start ${loadAtStart}.`,
  `${KEYS} keys of ${JOIN_VALUE_BYTES} random bytes in txns of 100, then ${JOIN_TICKS} puts of one key; \`--snapshot-count 1000\`; the joiner is timed from its spawn until a serializable read on it sees the last key.`,
  '',
  '| member | round | load (1 min) | catch-up | of which boot / until a leader sends / transfer + install (dbSize over it) | leader backend (dbSize) | dbSize / catch-up | slowest `GET /version` on the joiner | joiner\'s longest event-loop delay (`/metrics`) | joiner peak RSS above its first answer |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
  'The joiner by phase (snapshot-join-phases.ts): length, peak RSS above its first answer (anon: its anonymous memory alone, without the LevelDB table files it maps), longest event-loop stall over 40 ms that began in it (the process CPU inside that stall, all threads), longest GC pause over 15 ms.',
  '',
  ...phaseLines,
].join('\n');
console.log(`\n${md}`);
if (args['no-write'] !== true) writeSection('snapshot-join', md);
