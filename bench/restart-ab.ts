/**
 * Restart of one member holding N keys, two builds of cairn interleaved on the SAME data dir
 * (issue 18): CPU (user + system of the process, from /proc) and wall time from SIGKILL until a
 * linearizable range answers. On a shared machine wall time swings with the load; CPU time is the
 * number to compare. The data dir is loaded by the first build (bench:scale's loader: 256 B random
 * values, txns of 100), so when that build writes a key index image, both builds restart from a
 * data dir that holds one (the other one ignores it).
 *
 *   npm run build; (cd OTHER && npm run build)
 *   npx tsx bench/restart-ab.ts --keys 1000000 --rounds 3 --a OTHER --b .
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ok, putKeys, startScaleMember, waitReady } from './scale-member.js';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    a: { type: 'string' },
    b: { type: 'string', default: '.' },
  },
});
if (args.a === undefined) throw new Error('--a <checkout with dist/> is required');
const builds = { a: resolve(args.a), b: resolve(args.b) };
const keys = Number(args.keys);

/** User + system CPU seconds of a process so far (/proc/<pid>/stat fields 14 and 15, in ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const m = await startScaleMember('cairn', [], builds.b);
try {
  await waitReady(m, 60_000);
  const t0 = performance.now();
  await putKeys(m.url, { count: keys, keyOf: (i) => `scale/${String(i).padStart(8, '0')}`, valueBytes: 256, send: ok });
  console.log(`loaded ${keys} keys with b in ${((performance.now() - t0) / 1000).toFixed(1)} s; load ${load()}`);
  // Let a key index image being written finish (b writes them as it goes; it is not waited on).
  await new Promise((r) => setTimeout(r, 10_000));
  console.log('| round | build | restart wall s | restart CPU s | load average |');
  console.log('|---|---|---|---|---|');
  for (let round = 1; round <= Number(args.rounds); round++) {
    for (const [name, root] of Object.entries(builds)) {
      const started = performance.now();
      await m.killAndRestart(root);
      await waitReady(m, 600_000);
      const wall = (performance.now() - started) / 1000;
      console.log(`| ${round} | ${name} | ${wall.toFixed(2)} | ${cpuSeconds(m.pid()).toFixed(2)} | ${load()} |`);
    }
  }
} finally {
  await m.stop();
}
