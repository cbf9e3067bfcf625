/**
 * `npm run chaos -- --duration 600 --seed 7 --size 3|5 --faults kill,stop,partition,slowdisk,powerloss,membership,transfer
 *  [--disk level|file|mixed|file-nosync] [--runs N] [--clients 6] [--keys 8] [--summary FILE]`
 * Runs chaos against real `cairn serve` processes (test/chaos/run.ts). Each run prints a
 * summary; a failing run keeps its directory (member logs, data, history.json). `--runs N`
 * repeats with seeds seed, seed+1, …; the exit code is 1 if any run failed.
 */
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ALL_FAULTS, type FaultKind } from '../test/chaos/faults.js';
import { describeResult, runChaos } from '../test/chaos/run.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    seed: { type: 'string', default: String(Date.now() % 100000) },
    size: { type: 'string', default: '3' },
    faults: { type: 'string', default: ALL_FAULTS.join(',') },
    disk: { type: 'string' },
    runs: { type: 'string', default: '1' },
    clients: { type: 'string', default: '6' },
    keys: { type: 'string', default: '8' },
    summary: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

const faults = (values.faults as string).split(',').filter((f) => f !== '') as FaultKind[];
for (const f of faults) if (!ALL_FAULTS.includes(f)) throw new Error(`--faults: unknown fault ${f} (known: ${ALL_FAULTS.join(', ')})`);
const size = Number(values.size);
if (size !== 3 && size !== 5) throw new Error('--size must be 3 or 5');
const disk = values.disk as 'level' | 'file' | 'file-nosync' | 'mixed' | undefined;

let failed = 0;
for (let i = 0; i < Number(values.runs); i++) {
  const seed = Number(values.seed) + i;
  const result = await runChaos({
    seed,
    size,
    durationMs: Number(values.duration) * 1000,
    faults,
    clients: Number(values.clients),
    keys: Number(values.keys),
    ...(disk !== undefined ? { disk } : {}),
    log: values.quiet ? undefined : (line) => console.log(line),
  });
  const text = describeResult(result);
  console.log(text);
  if (values.summary !== undefined) {
    appendFileSync(values.summary, `${new Date().toISOString()} --duration ${values.duration} --size ${size} --faults ${faults.join(',')} --disk ${disk ?? 'default'}\n${text}\n\n`);
  }
  if (!result.ok) failed++;
}
process.exit(failed > 0 ? 1 : 0);
