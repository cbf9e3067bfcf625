/**
 * Synced batch appends through LevelWal (one `save(..., {sync: true})` per Ready) against a raw
 * `fs.write` + `fs.fsync` loop on the same disk: entries/s and per-batch fsync latency.
 *
 *   npm run bench:wal -- [--dir /path/on/disk] [--batches 300] [--entry-bytes 256] [--no-write]
 */
import { closeSync, fdatasyncSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Entry } from '../src/raft/types.js';
import { openDataDir } from '../src/storage/data-dir.js';
import { latencySummary, machineFacts, writeSection } from './wal-report.js';

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string', default: tmpdir() },
    batches: { type: 'string', default: '300' },
    'entry-bytes': { type: 'string', default: '256' },
    'no-write': { type: 'boolean', default: false },
  },
});
const batches = Number(args.batches);
const entryBytes = Number(args['entry-bytes']);
const base = await mkdtemp(join(args.dir, 'cairn-bench-wal-'));

function row(cells: Array<string | number>): string {
  return `| ${cells.join(' | ')} |`;
}
const fmt = (n: number, digits = 2): string => n.toFixed(digits);

/** The floor: append `bytes` to a file and fsync (or fdatasync, as LevelDB does), `batches` times. */
function rawFsync(bytes: number, how: 'fsync' | 'fdatasync' = 'fsync'): string {
  const path = join(base, `raw-${how}-${bytes}.log`);
  const sync = how === 'fsync' ? fsyncSync : fdatasyncSync;
  const fd = openSync(path, 'a');
  const buf = Buffer.alloc(bytes, 7);
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < batches; i++) {
    const t = performance.now();
    writeSync(fd, buf);
    sync(fd);
    samples.push(performance.now() - t);
  }
  const total = (performance.now() - start) / 1000;
  closeSync(fd);
  const s = latencySummary(samples);
  return row([`raw append + ${how}, ${bytes} B`, '-', fmt(batches / total, 0), '-', fmt(s.p50), fmt(s.p99)]);
}

async function walAppends(perBatch: number): Promise<string> {
  const dir = join(base, `wal-${perBatch}`);
  const dd = await openDataDir(dir);
  await dd.wal.load();
  const data = new Uint8Array(entryBytes).fill(1);
  let index = 0;
  const samples: number[] = [];
  const start = performance.now();
  for (let b = 0; b < batches; b++) {
    const es: Entry[] = [];
    for (let i = 0; i < perBatch; i++) es.push({ index: ++index, term: 1, type: 'normal', data });
    const t = performance.now();
    await dd.wal.save({ term: 1, vote: 1, commit: index - perBatch }, es, { sync: true });
    samples.push(performance.now() - t);
  }
  const total = (performance.now() - start) / 1000;
  await dd.close();
  const s = latencySummary(samples);
  return row([`LevelWal save, ${perBatch} × ${entryBytes} B entries`, perBatch, fmt(batches / total, 0), fmt((batches * perBatch) / total, 0), fmt(s.p50), fmt(s.p99)]);
}

try {
  const facts = machineFacts(args.dir);
  const rows = [
    row(['what', 'entries/batch', 'batches/s', 'entries/s', 'p50 ms', 'p99 ms']),
    row(['---', '---:', '---:', '---:', '---:', '---:']),
    rawFsync(4096, 'fsync'),
    rawFsync(4096, 'fdatasync'),
    rawFsync(entryBytes + 32, 'fdatasync'),
    rawFsync(entryBytes * 100, 'fdatasync'),
  ];
  for (const perBatch of [1, 10, 100, 1000]) rows.push(await walAppends(perBatch));
  rows.push(rawFsync(4096, 'fsync'), rawFsync(4096, 'fdatasync'));
  const section = [
    '## WAL synced batch appends (`bench/wal-append.ts`)',
    '',
    `Command: \`npm run bench:wal -- --batches ${batches} --entry-bytes ${entryBytes}\``,
    '',
    facts,
    '',
    `${batches} synced batches per row; latency is per batch (one LevelDB \`batch(…, {sync: true})\`,`,
    "i.e. one `fdatasync` of LevelDB's log (checked with strace), plus encoding and CRC). The raw rows",
    'bracket the WAL rows in time, as the disk floor: appending to a file and syncing it each time.',
    "On this shared VM the disk's sync latency was bimodal across runs (p50 ≈0.3–1 ms in some minutes, ≈4–8 ms in",
    'others, for the raw loop and the WAL alike), so compare rows of one run, not across runs.',
    '',
    ...rows,
  ].join('\n');
  console.log(section);
  if (!args['no-write']) writeSection('wal-append', section);
} finally {
  await rm(base, { recursive: true, force: true });
}
