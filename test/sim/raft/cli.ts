/**
 * `npm run sim -- [--seeds N | --seed n | --from a --to b] [--nodes 3..7] [--rounds r]
 *                 [--chaos ticks] [--trace] [--quiet] [--keep-going] [--step-while-applying]`
 * Runs the randomized Raft simulator over a range of seeds and prints seeds/s and the fault mix;
 * the first failure prints its seed and last events, and the exit code is 1.
 */
import { formatFailure, runSimulation } from './simulation.js';
import type { SimOptions } from './simulation.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function num(name: string): number | undefined {
  const v = arg(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} wants a non-negative integer, got ${v}`);
  return n;
}

const single = num('seed');
const from = single ?? num('from') ?? 1;
const to = single !== undefined ? single + 1 : (num('to') ?? from + (num('seeds') ?? 100));
const nodes = num('nodes');
if (nodes !== undefined && (nodes < 3 || nodes > 7)) throw new Error('--nodes must be 3..7');
const trace = process.argv.includes('--trace');
const quiet = process.argv.includes('--quiet');
const keepGoing = process.argv.includes('--keep-going');

const totals: Record<string, number> = {};
/** How many seeds saw each kind of event at least once: the fault mix. */
const seedsWith: Record<string, number> = {};
const failedSeeds: number[] = [];
const started = performance.now();
let ran = 0;
let failed = 0;
let lastPrint = started;
let stop = false;
// The loop yields now and then so a SIGINT/SIGTERM still prints the totals of what ran.
process.on('SIGINT', () => (stop = true));
process.on('SIGTERM', () => (stop = true));
for (let seed = from; seed < to && !stop; seed++) {
  if (seed % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  const opts: SimOptions = { seed, trace };
  if (process.argv.includes('--step-while-applying')) opts.bugs = { stepWhileApplying: true };
  if (nodes !== undefined) opts.nodes = nodes;
  const rounds = num('rounds');
  if (rounds !== undefined) opts.rounds = rounds;
  const chaos = num('chaos');
  if (chaos !== undefined) opts.chaosTicks = chaos;
  const r = runSimulation(opts);
  ran++;
  totals[`nodes${r.nodes}`] = (totals[`nodes${r.nodes}`] ?? 0) + 1;
  totals.ticks = (totals.ticks ?? 0) + r.ticks;
  for (const [k, v] of Object.entries(r.counts)) {
    totals[k] = (totals[k] ?? 0) + v;
    if (v > 0) seedsWith[k] = (seedsWith[k] ?? 0) + 1;
  }
  if (!r.ok) {
    failed++;
    failedSeeds.push(seed);
    console.error(formatFailure(r));
    if (!keepGoing) break;
  } else if (single !== undefined) {
    console.log(`seed ${seed} ok: ${r.profile}\n${JSON.stringify(r.counts)}`);
  }
  const now = performance.now();
  if (!quiet && now - lastPrint > 10_000) {
    lastPrint = now;
    console.log(`… ${ran} seeds (${seed}), ${failed} failed, ${(ran / ((now - started) / 1000)).toFixed(1)} seeds/s`);
  }
}
const secs = (performance.now() - started) / 1000;
console.log(`seeds ${from}..${from + ran - 1}: ${ran} run, ${failed} failed, ${secs.toFixed(1)} s, ${(ran / secs).toFixed(1)} seeds/s`);
console.log(`fault mix (event totals): ${JSON.stringify(totals)}`);
console.log(`fault mix (seeds with ≥1): ${JSON.stringify(seedsWith)}`);
if (failedSeeds.length > 0) console.log(`failed seeds: ${failedSeeds.slice(0, 100).join(' ')}`);
process.exitCode = failed > 0 ? 1 : 0;
