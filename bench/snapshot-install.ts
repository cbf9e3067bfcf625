/**
 * Snapshot install on a follower's LevelDB data dir: receive (stream into a staged store), then
 * install (sync, switch, reload the store's index). Reports the wall time of each phase — the
 * Ready loop waits for the install — and the longest event-loop stall during each (what every
 * other request on the member waits), the CPU time of each (user + sys: less sensitive than wall
 * time to the other work on a shared machine), the receive rate in MB/s (10^6 bytes of stream),
 * plus live memory while receiving. Writes its section of bench/RESULTS.md unless `--no-write`
 * (for repeated, interleaved runs whose numbers are collected by hand).
 *
 *   npm run bench:install -- --keys 200000 --value-bytes 256
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { MessageOf } from '../src/raft/messages.js';
import { appliedStateOp } from '../src/server/applied-state.js';
import { selfIdOp } from '../src/server/bootstrap.js';
import { silentLogger } from '../src/server/logger.js';
import { SnapshotStage, type StagingDir } from '../src/server/snapshots.js';
import { openDataDir } from '../src/storage/data-dir.js';
import { MemoryBackend } from '../src/storage/memory-backend.js';
import { KvStore } from '../src/store/kv-store.js';
import { utf8 } from '../src/util/bytes.js';
import { machineFacts, writeSection } from './wal-report.js';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '200000' },
    'value-bytes': { type: 'string', default: '256' },
    'no-write': { type: 'boolean', default: false },
  },
});
const KEYS = Number(args.keys);
const VALUE = new Uint8Array(Number(args['value-bytes'])).fill(0x61);
const CONF = { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
const gc = (globalThis as { gc?: () => void }).gc;

function liveMiB(): number {
  gc?.();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
}

/**
 * The longest gap between ticks of a 2 ms timer, and the process CPU time spent in it: a gap
 * mostly spent on CPU is work holding the loop; a gap with little CPU is the process waiting for
 * a core (a loaded machine), which no change to the code removes. The CPU counts every thread
 * (LevelDB's, the GC's helpers), so it bounds the main thread's from above.
 */
function gapProbe(): () => { gapMs: number; cpuMs: number } {
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let worst = { gapMs: 0, cpuMs: 0 };
  const timer = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const gapMs = now - last;
    if (gapMs > worst.gapMs) worst = { gapMs, cpuMs: (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000 };
    last = now;
    lastCpu = cpu;
  }, 2);
  return () => {
    clearInterval(timer);
    return worst;
  };
}

async function phase<T>(fn: () => Promise<T>): Promise<{ seconds: number; cpuSeconds: number; maxStallMs: number; p99StallMs: number; worstGap: { gapMs: number; cpuMs: number }; result: T }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const stopProbe = gapProbe();
  const start = performance.now();
  const cpu = process.cpuUsage();
  const result = await fn();
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - start) / 1000;
  h.disable();
  const worstGap = stopProbe();
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, maxStallMs: h.max / 1e6, p99StallMs: h.percentile(99) / 1e6, worstGap, result };
}

async function main(): Promise<void> {
  // The leader's side: a store of KEYS keys, saved as the chunk stream a peer would send, then
  // dropped so its heap does not weigh on the follower's measurements.
  const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-install-'));
  const streamFile = join(dir, 'snapshot.stream');
  {
    const source = new MemoryBackend();
    const leader = await KvStore.open(source);
    for (let i = 0; i < KEYS; i++) await leader.put({ key: utf8(`key/${String(i).padStart(8, '0')}`), value: VALUE });
    const copy = await source.snapshot();
    await writeFile(streamFile, Readable.from(copy.chunks()));
    await leader.close();
  }
  gc?.();
  const streamBytes = (await stat(streamFile)).size;
  // Pieces of the transport's size (256 KiB), cut anywhere as a peer stream delivers them.
  const pieces = () => createReadStream(streamFile, { highWaterMark: 256 * 1024 }) as AsyncIterable<Uint8Array>;
  const index = KEYS + 10;
  const meta = { index, term: 2, confState: CONF };

  try {
    const dd = await openDataDir(dir);
    await dd.wal.load();
    const store = await KvStore.open(dd.backend);
    let switchSeconds = 0;
    const timedDir: StagingDir = {
      stage: () => dd.stage(),
      installStaged: async (...a) => {
        const t = performance.now();
        await dd.installStaged(...a);
        switchSeconds = (performance.now() - t) / 1000;
      },
    };
    const stage = new SnapshotStage(timedDir, 8 * 2 ** 30, () => 0, silentLogger);
    const msgAt = (at: number) =>
      ({ type: 'MsgSnap', from: 1, to: 2, term: 2, snapshot: { metadata: { ...meta, index: at }, data: new Uint8Array(0) } }) as unknown as MessageOf<'MsgSnap'>;
    const receive = await phase(() => stage.stage(msgAt(index), pieces()));
    const install = await phase(() =>
      stage.install({ metadata: meta, data: new Uint8Array(0) }, [selfIdOp(2), appliedStateOp(meta)], store, async () => undefined),
    );
    // Memory on a second receive, apart: the forced collections of the sampling stall the loop.
    const base = liveMiB();
    let peak = Number.NEGATIVE_INFINITY;
    async function* sampled(): AsyncIterable<Uint8Array> {
      let n = 0;
      for await (const chunk of pieces()) {
        if (n++ % 16 === 0) peak = Math.max(peak, liveMiB() - base);
        yield chunk;
      }
    }
    await stage.stage(msgAt(index + 1), sampled());
    const keys = store.indexedKeys();
    if (keys !== KEYS) throw new Error(`installed ${keys} keys, expected ${KEYS}`);
    await store.close();
    await dd.close();

    const cmd = `npm run bench:install -- --keys ${KEYS} --value-bytes ${VALUE.length}`;
    const md = [
      '## Snapshot install (follower, LevelDB data dir)',
      '',
      `Command: \`${cmd}\``,
      '',
      machineFacts(dir),
      '',
      '| phase | wall time | CPU (user + sys) | longest event-loop stall (p99 of the loop delay) |',
      '|---|---|---|---|',
      `| receive: stream ${KEYS} keys (${(streamBytes / 1e6).toFixed(1)} MB) into a staged store, key index built | ${receive.seconds.toFixed(2)} s (${(streamBytes / 1e6 / receive.seconds).toFixed(1)} MB/s) | ${receive.cpuSeconds.toFixed(2)} s | ${receive.maxStallMs.toFixed(1)} ms (${receive.p99StallMs.toFixed(1)} ms) |`,
      `| install: sync, switch, reload the index (the Ready loop waits) | ${install.seconds.toFixed(2)} s | ${install.cpuSeconds.toFixed(2)} s | ${install.maxStallMs.toFixed(1)} ms (${install.p99StallMs.toFixed(1)} ms) |`,
      `| of which the switch (final synced batch, pointer, WAL and backend moved) | ${switchSeconds.toFixed(2)} s | | |`,
      `| of which the store's reload (takes the index built while receiving) | ${(install.seconds - switchSeconds).toFixed(2)} s | | |`,
      '',
      `Longest gap between ticks of a 2 ms timer while receiving: ${receive.worstGap.gapMs.toFixed(0)} ms, of which ${receive.worstGap.cpuMs.toFixed(0)} ms of process CPU (all threads; the rest is waiting for a core).`,
      '',
      `Live memory while receiving (heap + buffers, change from the start${gc === undefined ? ', without --expose-gc: includes garbage' : ''}): peak ${peak.toFixed(1)} MiB.`,
    ].join('\n');
    console.log(md);
    if (args['no-write'] !== true) writeSection('snapshot-install', md);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
