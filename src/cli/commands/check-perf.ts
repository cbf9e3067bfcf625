/**
 * `check perf`: etcdctl's performance check. Puts 1 KiB values under a prefix at the load's
 * target rate from many concurrent clients for the run's duration, then deletes them and
 * judges: throughput above 90% of the target, slowest request under 0.5 s, standard
 * deviation under 0.1 s. `--duration` (a cairn addition, default 60s as etcdctl) shortens it.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { prefixRangeEnd, utf8 } from '../../util/bytes.js';
import { sleep } from './abortable.js';
import { CliError } from './cli-error.js';
import { flagBool, flagString, type Command, type CommandContext } from './context.js';
import { parseGoDuration } from './duration.js';

interface Load {
  /** Target writes per second. */
  readonly limit: number;
  readonly clients: number;
}

const LOADS: Record<string, Load> = {
  s: { limit: 150, clients: 50 },
  m: { limit: 1000, clients: 200 },
  l: { limit: 8000, clients: 500 },
  xl: { limit: 15000, clients: 1000 },
};

export interface PerfStats {
  readonly count: number;
  readonly rps: number;
  readonly slowestS: number;
  readonly stddevS: number;
  readonly errors: ReadonlyMap<string, number>;
}

export function perfStats(latenciesMs: readonly number[], elapsedMs: number, errors: ReadonlyMap<string, number>): PerfStats {
  const n = latenciesMs.length;
  const mean = n === 0 ? 0 : latenciesMs.reduce((a, b) => a + b, 0) / n;
  const variance = n === 0 ? 0 : latenciesMs.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  return { count: n, rps: elapsedMs > 0 ? (n * 1000) / elapsedMs : 0, slowestS: latenciesMs.reduce((a, b) => Math.max(a, b), 0) / 1000, stddevS: Math.sqrt(variance) / 1000, errors };
}

/** etcdctl's verdict lines; returns whether every check passed. */
export function perfVerdict(s: PerfStats, load: Load, line: (text: string) => void): boolean {
  let ok = true;
  if (s.errors.size > 0) {
    line('FAIL: too many errors');
    for (const [message, count] of s.errors) line(`FAIL: ERROR(${message}) -> ${count}`);
    ok = false;
  }
  if (s.rps / load.limit <= 0.9) {
    line(`FAIL: Throughput too low: ${Math.floor(s.rps) + 1} writes/s`);
    ok = false;
  } else line(`PASS: Throughput is ${Math.floor(s.rps) + 1} writes/s`);
  if (s.slowestS > 0.5) {
    line(`Slowest request took too long: ${s.slowestS.toFixed(6)}s`);
    ok = false;
  } else line(`PASS: Slowest request took ${s.slowestS.toFixed(6)}s`);
  if (s.stddevS > 0.1) {
    line(`Stddev too high: ${s.stddevS.toFixed(6)}s`);
    ok = false;
  } else line(`PASS: Stddev is ${s.stddevS.toFixed(6)}s`);
  line(ok ? 'PASS' : 'FAIL');
  return ok;
}

async function runLoad(ctx: CommandContext, load: Load, prefix: string, durationMs: number): Promise<PerfStats> {
  const client = ctx.client();
  const value = new Uint8Array(1024);
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  const start = performance.now();
  const end = start + durationMs;
  const intervalMs = 1000 / load.limit;
  let nextSlot = start;
  const totalSeconds = Math.ceil(durationMs / 1000);
  // Every worker sleeps on the stop signal: a local one, sized for them, follows SIGINT.
  const stop = new AbortController();
  setMaxListeners(load.clients + 10, stop.signal);
  const onAbort = () => stop.abort();
  ctx.io.signal.addEventListener('abort', onAbort);
  // Each worker takes the next free slot of the paced schedule, then sends one put.
  const worker = async () => {
    for (;;) {
      // A limiter with a burst of one, as etcdctl's rate.Limiter: after a stall it does not catch up.
      const slot = Math.max(nextSlot, performance.now());
      if (slot >= end || stop.signal.aborted) return;
      nextSlot = slot + intervalMs;
      const wait = slot - performance.now();
      if (wait > 0) await sleep(wait, stop.signal);
      // As etcdctl's limiter with a deadline: nothing new starts once the run's time is up.
      if (performance.now() >= end || stop.signal.aborted) return;
      const t0 = performance.now();
      try {
        await client.put({ key: utf8(prefix + randomBytes(8).toString('hex')), value });
        latencies.push(performance.now() - t0);
      } catch (err) {
        const m = (err as Error).message;
        errors.set(m, (errors.get(m) ?? 0) + 1);
      }
    }
  };
  // etcdctl shows a progress bar ticking every second; cairn prints a line per second.
  let second = 0;
  const progress = setInterval(() => {
    if (second < totalSeconds) ctx.io.sink.out(`${++second} / ${totalSeconds} s, ${latencies.length} writes\n`);
  }, 1000);
  try {
    await Promise.all(Array.from({ length: load.clients }, worker));
  } finally {
    clearInterval(progress);
  }
  if (second < totalSeconds) ctx.io.sink.out(`${totalSeconds} / ${totalSeconds} s, ${latencies.length} writes\n`);
  ctx.io.signal.removeEventListener('abort', onAbort);
  const stats = perfStats(latencies, performance.now() - start, errors);
  ctx.io.sink.out(`done: ${latencies.length} writes, ${errors.size === 0 ? 'no' : [...errors.values()].reduce((a, b) => a + b, 0)} errors\n`);
  return stats;
}

export const checkPerfCommand: Command = {
  name: 'check perf',
  usage: 'check perf [options]',
  summary: 'Check the performance of the etcd cluster',
  flags: [
    { name: 'load', kind: 'string', help: "The performance check's workload model. Accepted workloads: s(small), m(medium), l(large), xl(xLarge) (default \"s\")" },
    { name: 'prefix', kind: 'string', help: 'The prefix for writing the performance check\'s keys (default "/etcdctl-check-perf/")' },
    { name: 'auto-compact', kind: 'bool', help: 'Compact storage with last revision after test is finished.' },
    { name: 'auto-defrag', kind: 'bool', help: 'Defragment storage after test is finished.' },
    { name: 'duration', kind: 'string', help: 'How long to run (cairn only; default 60s, as etcdctl)' },
  ],
  async run(ctx) {
    const loadName = flagString(ctx, 'load', 's');
    const load = LOADS[loadName];
    if (load === undefined) throw new CliError(`unknown load option ${loadName}`);
    const prefix = flagString(ctx, 'prefix', '/etcdctl-check-perf/');
    const durationMs = parseGoDuration(flagString(ctx, 'duration', '60s'), 'duration');
    const client = ctx.client();
    const range = { key: utf8(prefix), rangeEnd: prefixRangeEnd(utf8(prefix)) };
    const existing = await client.range({ ...range, limit: 1 });
    if (existing.kvs.length > 0) throw new CliError(`prefix "${prefix}" has keys. Delete with etcdctl del --prefix ${prefix} first`);
    const stats = await runLoad(ctx, load, prefix, durationMs);
    const deleted = await client.deleteRange(range);
    if (flagBool(ctx, 'auto-compact')) await client.compact({ revision: deleted.header.revision, physical: true });
    if (flagBool(ctx, 'auto-defrag')) for (const ep of ctx.globals.endpoints) await ctx.client([ep]).defragment();
    if (!perfVerdict(stats, load, (t) => ctx.io.sink.out(`${t}\n`))) throw new CliError('');
  },
};
