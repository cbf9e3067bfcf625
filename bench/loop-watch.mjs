// Preload for a cairn member under a bench (CAIRN_BENCH_NODE_ARGS="--import ./bench/loop-watch.mjs",
// LOOP_WATCH_DIR=<dir>): appends to <dir>/loop-watch.<pid>.log every event-loop stall over 40 ms
// ("lag <epoch ms> <ms> active=<main-thread active ms> cpu=<process CPU ms, all threads>") and every
// GC pause over 15 ms ("gc <epoch ms> <ms> kind=<1 minor, 4 major>"). A stall whose active time
// is near its length but whose CPU is small was the thread waiting (for a core, or in a blocking
// native call), not our own work. Issue 18's compaction notes in bench/RESULTS.md used it.
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const out = `${process.env.LOOP_WATCH_DIR ?? tmpdir()}/loop-watch.${process.pid}.log`;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.duration > 15) appendFileSync(out, `gc ${(performance.timeOrigin + e.startTime).toFixed(0)} ${e.duration.toFixed(1)} kind=${e.detail?.kind}\n`);
  }
}).observe({ entryTypes: ['gc'] });
const TICK_MS = 5;
let last = performance.now();
let elu = performance.eventLoopUtilization();
let cpu = process.cpuUsage();
setInterval(() => {
  const now = performance.now();
  const late = now - last - TICK_MS;
  const elu2 = performance.eventLoopUtilization();
  const cpu2 = process.cpuUsage();
  if (late > 40) {
    const active = performance.eventLoopUtilization(elu2, elu).active;
    const used = (cpu2.user - cpu.user + cpu2.system - cpu.system) / 1000;
    appendFileSync(out, `lag ${(performance.timeOrigin + last).toFixed(0)} ${late.toFixed(1)} active=${active.toFixed(1)} cpu=${used.toFixed(1)}\n`);
  }
  last = now;
  elu = elu2;
  cpu = cpu2;
}, TICK_MS).unref();
