/**
 * `npm run sim:member -- --seeds N [--from S] [--size 3|5] [--ms 3000]`: runs whole-member
 * simulations and prints seeds/s and the fault mix; a failing seed prints its problems and last
 * events, and `--seed S` replays one.
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
const t0 = Date.now();
const faults: Record<string, number> = {};
let operations = 0;
let okOps = 0;
let failed = 0;
let watchStreams = 0;
let watchEvents = 0;
for (let seed = from; seed < from + count; seed++) {
  const r = await simulate({ seed, size, durationMs });
  operations += r.operations;
  okOps += r.okOperations;
  watchStreams += r.watchStreams;
  watchEvents += r.watchEvents;
  for (const [k, v] of Object.entries(r.faults)) faults[k] = (faults[k] ?? 0) + v;
  if (!r.ok) {
    failed++;
    console.log(`seed ${seed} FAILED (replay: npm run sim:member -- --seed ${seed} --size ${size} --ms ${durationMs})`);
    for (const p of r.problems) console.log(p.slice(0, 4000));
    console.log(r.log.join('\n'));
  }
}
const secs = (Date.now() - t0) / 1000;
console.log(`${count} seeds (${from}..${from + count - 1}), ${size} members, ${durationMs} ms simulated each: ${failed} failed, ${operations} operations (${okOps} ok), ${(count / secs).toFixed(2)} seeds/s, ${secs.toFixed(1)} s`);
console.log(`watch streams checked: ${watchStreams}, events delivered: ${watchEvents}`);
console.log(`faults: ${JSON.stringify(faults)}`);
process.exit(failed > 0 ? 1 : 0);
