/**
 * `npm run sim:member -- --seeds N [--from S] [--size 3|5] [--ms 3000] [--keys K] [--check-ms M]`:
 * runs whole-member simulations and prints seeds/s and the fault mix; a failing seed prints its
 * problems and last events, and `--seed S` replays one. A seed whose history the checker could
 * not decide (budget exhausted: 'unknown') is counted apart and also makes the exit code 1.
 * `--stop` ends the run at the first failing seed (used by `npm run mutants`).
 */
import { simulate } from './simulate.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const single = process.argv.includes('--seed') ? arg('seed', 1) : undefined;
const from = single ?? arg('from', 1);
const count = single !== undefined ? 1 : arg('seeds', 20);
const size = arg('size', 3);
const durationMs = arg('ms', 3000);
const keys = process.argv.includes('--keys') ? arg('keys', 0) : undefined;
const checkMillis = process.argv.includes('--check-ms') ? arg('check-ms', 0) : undefined;
const extra = `${keys !== undefined ? ` --keys ${keys}` : ''}${checkMillis !== undefined ? ` --check-ms ${checkMillis}` : ''}`;
const t0 = Date.now();
const faults: Record<string, number> = {};
let operations = 0;
let okOps = 0;
let failed = 0;
const undecidedSeeds: number[] = [];
let checkerMaxOps = 0;
let checkerMaxMillis = 0;
let watchStreams = 0;
let watchEvents = 0;
let seedsRun = 0;
for (let seed = from; seed < from + count; seed++) {
  seedsRun++;
  const r = await simulate({ seed, size, durationMs, ...(keys !== undefined ? { keys } : {}), ...(checkMillis !== undefined ? { checkMillis } : {}) });
  operations += r.operations;
  okOps += r.okOperations;
  watchStreams += r.watchStreams;
  watchEvents += r.watchEvents;
  checkerMaxOps = Math.max(checkerMaxOps, r.checkerMaxOps);
  checkerMaxMillis = Math.max(checkerMaxMillis, r.checkerMaxMillis);
  for (const [k, v] of Object.entries(r.faults)) faults[k] = (faults[k] ?? 0) + v;
  const replay = `npm run sim:member -- --seed ${seed} --size ${size} --ms ${durationMs}${extra}`;
  if (r.ok && r.linearizability === 'unknown') {
    undecidedSeeds.push(seed);
    console.log(`seed ${seed} UNDECIDED: the checker ran out of budget on ${r.undecided.join(', ')} (replay: ${replay})`);
  }
  if (!r.ok) {
    failed++;
    console.log(`seed ${seed} FAILED (replay: ${replay})`);
    for (const p of r.problems) console.log(p.slice(0, 4000));
    console.log(r.log.join('\n'));
    if (process.argv.includes('--stop')) {
      console.log(`first failure at seed ${seed} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      break;
    }
  }
}
const secs = (Date.now() - t0) / 1000;
const ran = Math.min(count, seedsRun);
console.log(`${ran} seeds (${from}..${from + ran - 1}), ${size} members, ${durationMs} ms simulated each: ${failed} failed, ${undecidedSeeds.length} undecided, ${operations} operations (${okOps} ok), ${(ran / secs).toFixed(2)} seeds/s, ${secs.toFixed(1)} s`);
console.log(`checker: largest key history ${checkerMaxOps} ops, slowest key ${checkerMaxMillis.toFixed(0)} ms (budget ${checkMillis ?? 20_000} ms per key)`);
console.log(`watch streams checked: ${watchStreams}, events delivered: ${watchEvents}`);
console.log(`faults: ${JSON.stringify(faults)}`);
if (undecidedSeeds.length > 0) console.log(`undecided seeds (not a clean run): ${undecidedSeeds.slice(0, 100).join(' ')}`);
process.exit(failed > 0 || undecidedSeeds.length > 0 ? 1 : 0);
