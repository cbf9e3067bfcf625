/**
 * Where a joining member's memory goes while it stages a snapshot (issue 18): one staging of a
 * chunk stream file into a fresh LevelDB data dir (src/storage/staged-store.ts), with the key
 * index built from the records as they stream in (as SnapshotStage does) or without it, and the
 * process's anonymous RSS (its own memory: /proc RssAnon, sampled every 20 ms), V8 heap and
 * external memory above where they started, plus the CPU it took. Prints one line; numbers go
 * into bench/RESULTS.md by hand. Run it alternately against two checkouts to compare builds.
 *
 *   npx tsx bench/stage-memory.ts --make-stream /tmp/s.stream --keys 1000000   (once)
 *   npx tsx bench/stage-memory.ts --stream /tmp/s.stream [--no-index]
 */
import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { openDataDir } from '../src/storage/data-dir.js';
import { MemoryBackend } from '../src/storage/memory-backend.js';
import { IndexBuilder } from '../src/store/index-rebuild.js';
import { KvStore } from '../src/store/kv-store.js';
import { utf8 } from '../src/util/bytes.js';

const { values: args } = parseArgs({
  options: {
    'make-stream': { type: 'string' },
    stream: { type: 'string' },
    keys: { type: 'string', default: '300000' },
    'no-index': { type: 'boolean', default: false },
  },
});

const MiB = 2 ** 20;
const anonBytes = (): number => Number(readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('RssAnon:'))?.split(/\s+/)[1]) * 1024;

if (args['make-stream'] !== undefined) {
  // The leader's side, as bench/snapshot-install.ts makes it: KEYS keys of 256 bytes, one revision each.
  const source = new MemoryBackend();
  const store = await KvStore.open(source);
  const value = new Uint8Array(256).fill(0x61);
  for (let i = 0; i < Number(args.keys); i++) await store.put({ key: utf8(`key/${String(i).padStart(8, '0')}`), value });
  const copy = await source.snapshot();
  await writeFile(args['make-stream'], Readable.from(copy.chunks()));
  await store.close();
  console.log(`${args['make-stream']}: ${(await stat(args['make-stream'])).size} bytes`);
  process.exit(0);
}
const file = args.stream;
if (file === undefined) throw new Error('--stream <file> (or --make-stream <file>)');
const dir = await mkdtemp(join(tmpdir(), 'cairn-stage-memory-'));
try {
  const dataDir = await openDataDir(dir);
  await dataDir.wal.load();
  const staged = await dataDir.stage();
  const builder = new IndexBuilder();
  const anon0 = anonBytes();
  const mem0 = process.memoryUsage();
  let anonPeak = 0;
  const sampler = setInterval(() => (anonPeak = Math.max(anonPeak, anonBytes() - anon0)), 20);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Pieces of the transport's size (256 KiB), cut anywhere as a peer stream delivers them.
  const pieces = createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Uint8Array>;
  await staged.fill(pieces, 64 * 2 ** 30, args['no-index'] ? undefined : (bucket, k, v) => bucket === 'key' && builder.add(k, v));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  const mem = process.memoryUsage();
  const keys = builder.result().index.size;
  console.log(
    `${args['no-index'] ? 'no index' : `index of ${keys} keys`}: wall ${(wall / 1000).toFixed(2)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s; ` +
      `anonymous RSS peak +${(anonPeak / MiB).toFixed(0)} MiB (end +${((anonBytes() - anon0) / MiB).toFixed(0)}); ` +
      `V8 heap total +${((mem.heapTotal - mem0.heapTotal) / MiB).toFixed(0)} MiB (used +${((mem.heapUsed - mem0.heapUsed) / MiB).toFixed(0)}), external +${((mem.external - mem0.external) / MiB).toFixed(0)} MiB`,
  );
  await staged.discard();
  await dataDir.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
