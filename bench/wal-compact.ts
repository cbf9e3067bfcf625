/**
 * Log compaction at scale: append N entries, snapshot, compact the prefix, and time reads from
 * the head (100 entries) before and after, from the new first index and from the start of the
 * entry range (where the deleted prefix's tombstones sit until `compactRange`).
 *
 *   npm run bench:wal-compact -- [--entries 1000000] [--dir /path/on/disk] [--no-write]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EMPTY_CONF_STATE, type Entry } from '../src/raft/types.js';
import { levelLocation, openDataDir } from '../src/storage/data-dir.js';
import { ENTRY_RANGE, entryKey } from '../src/storage/keys.js';
import { LevelKv } from '../src/storage/level-kv.js';
import { latencySummary, machineFacts, writeSection } from './wal-report.js';

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string', default: tmpdir() },
    entries: { type: 'string', default: '1000000' },
    'no-write': { type: 'boolean', default: false },
  },
});
const n = Number(args.entries);
const BATCH = 10_000;
const dir = await mkdtemp(join(args.dir, 'cairn-bench-compact-'));

async function headRead(from: Uint8Array): Promise<{ p50: number; p99: number; min: number }> {
  const kv = await LevelKv.open(levelLocation(dir), dir);
  const samples: number[] = [];
  for (let r = 0; r < 51; r++) {
    const t = performance.now();
    for await (const _ of kv.iterate({ gte: from, lt: ENTRY_RANGE.lt, limit: 100 })) void _;
    samples.push(performance.now() - t);
  }
  await kv.close();
  return { ...latencySummary(samples), min: Math.min(...samples) };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const out = await fn();
  return [out, (performance.now() - t) / 1000];
}

try {
  const facts = machineFacts(args.dir);
  const data = new Uint8Array(64).fill(3);
  let dd = await openDataDir(dir);
  await dd.wal.load();
  const [, appendS] = await timed(async () => {
    for (let i = 1; i <= n + 100; i += BATCH) {
      const es: Entry[] = [];
      for (let j = i; j < Math.min(i + BATCH, n + 101); j++) es.push({ index: j, term: 1, type: 'normal', data });
      await dd.wal.save({ term: 1, vote: 1, commit: es.at(-1)?.index ?? 0 }, es, { sync: true });
    }
  });
  await dd.wal.saveSnapshot({ index: n, term: 1, confState: { ...EMPTY_CONF_STATE, voters: [1] } });
  await dd.close();
  const before = await headRead(entryKey(1));
  dd = await openDataDir(dir);
  const [, loadFullS] = await timed(() => dd.wal.load());
  // Meanwhile the member keeps persisting Readies: one synced 1-entry save after another.
  const saveMs: number[] = [];
  let compacting = true;
  let next = n + 101;
  const saver = (async () => {
    while (compacting) {
      const t = performance.now();
      await dd.wal.save({ term: 1, vote: 1, commit: next - 1 }, [{ index: next, term: 1, type: 'normal', data }], { sync: true });
      saveMs.push(performance.now() - t);
      next++;
    }
  })();
  const [, compactS] = await timed(() => dd.wal.compact(n));
  compacting = false;
  await saver;
  await dd.close();
  const during = latencySummary(saveMs);
  const afterFirst = await headRead(entryKey(n + 1));
  const afterPrefix = await headRead(ENTRY_RANGE.gte);
  dd = await openDataDir(dir);
  const [afterLoad, loadAfterS] = await timed(() => dd.wal.load());
  if (afterLoad.entries.length !== next - n - 1) throw new Error(`expected ${next - n - 1} entries after the snapshot, got ${afterLoad.entries.length}`);
  await dd.close();

  const ms = (x: { p50: number; p99: number }): string => `${x.p50.toFixed(3)} / ${x.p99.toFixed(3)}`;
  const read = (x: { p50: number; p99: number; min: number }): string => `${ms(x)} / ${x.min.toFixed(3)}`;
  const section = [
    '## WAL log compaction (`bench/wal-compact.ts`)',
    '',
    `Command: \`npm run bench:wal-compact -- --entries ${n}\``,
    '',
    facts,
    '',
    `${n.toLocaleString('en')} entries of 64 B appended in synced batches of ${BATCH.toLocaleString('en')}, snapshot at ${n}, then \`compact(${n})\`.`,
    'Head read = iterating 100 entries on the raw LevelDB, 51 runs. The machine is shared and loaded, so',
    'p50 and p99 move a lot between runs; min is the stable measure (load only adds time).',
    '',
    '| step | result |',
    '| --- | ---: |',
    `| append ${n.toLocaleString('en')} entries | ${appendS.toFixed(1)} s (${Math.round(n / appendS).toLocaleString('en')} entries/s) |`,
    `| load() with ${n.toLocaleString('en')} entries (verify every CRC) | ${loadFullS.toFixed(1)} s |`,
    `| compact(${n}): delete prefix in chunks + compactRange | ${compactS.toFixed(1)} s |`,
    `| synced 1-entry saves during compact(), p50 / p99 ms (${saveMs.length} saves) | ${ms(during)} |`,
    `| load() after compaction | ${(loadAfterS * 1000).toFixed(0)} ms |`,
    `| head read before compaction, p50 / p99 / min ms | ${read(before)} |`,
    `| head read after, from the new first index, p50 / p99 / min ms | ${read(afterFirst)} |`,
    `| head read after, from the start of the entry range, p50 / p99 / min ms | ${read(afterPrefix)} |`,
  ].join('\n');
  console.log(section);
  if (!args['no-write']) writeSection('wal-compact', section);
} finally {
  await rm(dir, { recursive: true, force: true });
}
