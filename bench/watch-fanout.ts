/**
 * Watch fan-out: one write reaching many watchers on the same key (etcd's
 * BenchmarkWatchableStoreWatchPutSync shape), measured as
 * - notify: the synchronous part apply pays (matching + enqueueing into every stream's buffer),
 * - consume: every stream's consumer taking its response (async iterator, prev_kv off),
 * plus history catch-up of the same number of unsynced watchers.
 *
 *   npm run bench:watch -- [--watchers 10000] [--puts 100] [--history 1000] [--no-write]
 */
import { parseArgs } from 'node:util';
import { ManualClock } from '../src/util/clock.js';
import { utf8 } from '../src/util/bytes.js';
import { MemoryWatchSource } from '../src/store/watch-memory-source.js';
import { WatchHub } from '../src/store/watch-hub.js';
import type { WatchStream } from '../src/store/watch-stream.js';
import { latencySummary, machineFacts, writeSection } from './wal-report.js';

const { values: args } = parseArgs({
  options: {
    watchers: { type: 'string', default: '10000' },
    puts: { type: 'string', default: '100' },
    history: { type: 'string', default: '1000' },
    'no-write': { type: 'boolean', default: false },
  },
});
const watchers = Number(args.watchers);
const puts = Number(args.puts);
const history = Number(args.history);
const key = utf8('fanout/key');
const value = new Uint8Array(64).fill(7);
const fmt = (n: number, digits = 2): string => n.toFixed(digits);
const row = (cells: Array<string | number>): string => `| ${cells.join(' | ')} |`;

interface Shape {
  readonly name: string;
  readonly streams: number;
  readonly range: boolean;
}

/** Live fan-out: `puts` writes, each delivered to every watcher, consumers draining between writes. */
async function live(shape: Shape): Promise<string> {
  const source = new MemoryWatchSource();
  const perStream = Math.ceil(watchers / shape.streams);
  const hub = new WatchHub(source, new ManualClock(), { streamBufferResponses: Math.max(128, perStream * 2), maxWatchersPerStream: Math.max(10_000, perStream) });
  source.subscribe(hub.listener);
  const streams: WatchStream[] = [];
  for (let s = 0; s < shape.streams; s++) streams.push(hub.newStream());
  for (let i = 0; i < watchers; i++) {
    const stream = streams[i % shape.streams] as WatchStream;
    stream.watch(shape.range ? { key: utf8('fanout/'), rangeEnd: utf8('fanout0') } : { key });
  }
  for (const s of streams) await s.drainBuffered();
  const notifyMs: number[] = [];
  const consumeMs: number[] = [];
  let delivered = 0;
  const start = performance.now();
  for (let p = 0; p < puts; p++) {
    const t0 = performance.now();
    source.apply([{ type: 'put', key, value }]);
    const t1 = performance.now();
    for (const s of streams) {
      while (s.buffered > 0) {
        const r = await s.next();
        delivered += r?.events.length ?? 0;
      }
    }
    notifyMs.push(t1 - t0);
    consumeMs.push(performance.now() - t1);
  }
  const totalS = (performance.now() - start) / 1000;
  const expected = watchers * puts;
  if (delivered !== expected || hub.stats().victims !== 0) throw new Error(`delivered ${delivered} of ${expected} (victims ${hub.stats().victims})`);
  hub.close();
  const n = latencySummary(notifyMs);
  const c = latencySummary(consumeMs);
  return row([shape.name, watchers, shape.streams, puts, fmt(n.p50), fmt(n.p99), fmt((n.mean * 1000) / watchers, 3), fmt(c.p50), fmt(delivered / totalS, 0)]);
}

/** Catch-up: the same number of watchers start at revision 2 with `history` revisions to replay. */
async function catchUp(): Promise<string> {
  const source = new MemoryWatchSource();
  const hub = new WatchHub(source, new ManualClock(), { streamBufferResponses: 4096 });
  source.subscribe(hub.listener);
  for (let i = 0; i < history; i++) source.apply([{ type: 'put', key, value }]);
  const streams: WatchStream[] = [];
  for (let s = 0; s < 100; s++) streams.push(hub.newStream());
  for (let i = 0; i < watchers; i++) (streams[i % 100] as WatchStream).watch({ key, startRevision: 2 });
  const start = performance.now();
  let rounds = 0;
  let delivered = 0;
  while (hub.stats().unsynced > 0 || hub.stats().victims > 0) {
    await hub.syncNow();
    rounds++;
    for (const s of streams) for (const r of await s.drainBuffered()) delivered += r.events.length;
  }
  const ms = performance.now() - start;
  const expected = watchers * history;
  if (delivered !== expected) throw new Error(`caught up ${delivered} of ${expected}`);
  hub.close();
  return row([`catch-up from history (${history} revisions)`, watchers, 100, '-', '-', '-', '-', `${fmt(ms, 0)} total, ${rounds} rounds, ${source.reads} reads`, fmt(delivered / (ms / 1000), 0)]);
}

const shapes: Shape[] = [
  { name: 'one key, one watcher per stream', streams: watchers, range: false },
  { name: 'one key, 100 streams', streams: 100, range: false },
  { name: 'one prefix (range watchers), 100 streams', streams: 100, range: true },
];
const rows: string[] = [];
for (const shape of shapes) {
  rows.push(await live(shape));
  console.log(rows[rows.length - 1]);
}
rows.push(await catchUp());
console.log(rows[rows.length - 1]);

const command = `npm run bench:watch -- --watchers ${watchers} --puts ${puts} --history ${history}`;
const markdown = [
  '## Watch fan-out (bench/watch-fanout.ts)',
  '',
  `Command: \`${command}\``,
  '',
  machineFacts(process.cwd()),
  '',
  'notify = the synchronous work one write costs apply (match + enqueue to every watcher); consume = all',
  'consumers taking their response through the async iterator; events/s = delivered events over the whole run.',
  '',
  row(['shape', 'watchers', 'streams', 'puts', 'notify p50 ms', 'notify p99 ms', 'notify mean µs/watcher', 'consume p50 ms', 'events/s']),
  row(['---', '---', '---', '---', '---', '---', '---', '---', '---']),
  ...rows,
].join('\n');
if (!args['no-write']) writeSection('watch-fanout', markdown);
else console.log(markdown);
