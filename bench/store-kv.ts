/**
 * KvStore micro benchmark: put, overwrite, range shapes, txn and reopen (index rebuild), over
 * MemoryBackend and the member's LevelDB backend. Writes its section of bench/RESULTS.md.
 *
 *   npm run bench:store -- --keys 100000 --value-bytes 100
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KvStore } from '../src/store/kv-store.js';
import { MemoryBackend } from '../src/storage/memory-backend.js';
import { openDataDir } from '../src/storage/data-dir.js';
import type { Backend } from '../src/storage/backend.js';
import { SeededRng } from '../src/util/rng.js';
import { utf8 } from '../src/util/bytes.js';
import { latencySummary, machineFacts, writeSection } from './wal-report.js';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '100000' },
    'value-bytes': { type: 'string', default: '100' },
    backend: { type: 'string', default: 'both' },
  },
});
const KEYS = Number(args.keys);
const VALUE = new Uint8Array(Number(args['value-bytes'])).fill(0x61);
const keyOf = (i: number): Uint8Array => utf8(`key/${String(i).padStart(8, '0')}`);
const gc = (globalThis as { gc?: () => void }).gc;

interface Row {
  what: string;
  ops: number;
  seconds: number;
  samples: number[];
}

async function timed(what: string, ops: number, fn: (i: number) => Promise<unknown>): Promise<Row> {
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < ops; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  return { what, ops, seconds: (performance.now() - start) / 1000, samples };
}

function heapMiB(): number {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

async function workload(backend: Backend): Promise<Row[]> {
  const rng = new SeededRng(7);
  const rows: Row[] = [];
  const store = await KvStore.open(backend);
  rows.push(await timed(`put, ${KEYS} new keys`, KEYS, (i) => store.put({ key: keyOf(i), value: VALUE })));
  rows.push(await timed('put, overwrite a random key', KEYS / 2, () => store.put({ key: keyOf(rng.int(KEYS)), value: VALUE })));
  rows.push(await timed('range, one key', 20000, () => store.range({ key: keyOf(rng.int(KEYS)) })));
  const old = Math.floor(store.currentRevision() / 2);
  rows.push(await timed(`range, one key at revision ${old}`, 20000, () => store.range({ key: keyOf(rng.int(KEYS / 2)), revision: old })));
  const span = (n: number) => {
    const from = rng.int(KEYS - n);
    return { key: keyOf(from), rangeEnd: keyOf(from + n) };
  };
  rows.push(await timed('range, 10 keys', 10000, () => store.range(span(10))));
  rows.push(await timed('range, 1000 keys, limit 100', 1000, () => store.range({ ...span(1000), limit: 100 })));
  rows.push(await timed('range, 1000 keys, keys_only', 200, () => store.range({ ...span(1000), keysOnly: true })));
  rows.push(await timed(`range, count_only over all ${KEYS} keys`, 20, () => store.range({ key: utf8('key/'), rangeEnd: utf8('key0'), countOnly: true })));
  rows.push(
    await timed('txn, compare version + put', 10000, (i) => {
      const key = keyOf(i % KEYS);
      return store.txn({ compare: [{ key, target: 'VERSION', result: 'GREATER', version: 0 }], success: [{ type: 'put', request: { key, value: VALUE } }] });
    }),
  );
  await store.close();
  return rows;
}

async function run(name: string, backend: Backend, reopen: () => Promise<Backend>): Promise<string[]> {
  const rows = await workload(backend);
  const reopened = await reopen();
  const before = heapMiB(); // the first store is unreachable now: only the backend's own data remains
  const t = performance.now();
  const store = await KvStore.open(reopened);
  const openSeconds = (performance.now() - t) / 1000;
  const heap = heapMiB() - before;
  const lines = rows.map((r) => {
    const l = latencySummary(r.samples);
    return `| ${name} | ${r.what} | ${r.ops} | ${Math.round(r.ops / r.seconds)} | ${(l.p50 * 1000).toFixed(1)} | ${(l.p99 * 1000).toFixed(1)} |`;
  });
  lines.push(
    `| ${name} | open: rebuild the index from ${store.currentRevision() - 1} revisions of ${store.indexedKeys()} keys | 1 | - | ${(openSeconds * 1e6).toFixed(0)} | - |`,
  );
  console.log(lines.join('\n'));
  console.log(`${name}: heap after reopen +${heap.toFixed(1)} MiB for ${store.indexedKeys()} keys${gc ? '' : ' (no --expose-gc: rough)'}`);
  await store.close();
  return [...lines, `HEAP ${name} ${heap.toFixed(1)}`];
}

const facts = machineFacts(tmpdir()); // at start, as the line says
const out: string[] = [];
const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-store-'));
try {
  if (args.backend !== 'level') {
    const mem = new MemoryBackend();
    out.push(...(await run('memory', mem, async () => mem)));
  }
  if (args.backend !== 'memory') {
    let dd = await openDataDir(dir);
    out.push(
      ...(await run('level', dd.backend, async () => {
        await dd.close();
        dd = await openDataDir(dir);
        return dd.backend;
      })),
    );
    await dd.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const heaps = out.filter((l) => l.startsWith('HEAP')).map((l) => l.split(' '));
// The default run owns the `store-kv` section; other shapes get their own, so both can stand.
const isDefault = KEYS === 100000 && VALUE.length === 100 && args.backend === 'both';
writeSection(
  isDefault ? 'store-kv' : `store-kv-${KEYS}-${args.backend}`,
  `## KvStore put and range, ${KEYS} keys, backend ${args.backend} (\`bench/store-kv.ts\`)

Command: \`npm run bench:store -- --keys ${KEYS} --value-bytes ${VALUE.length} --backend ${args.backend}\`

${facts}

One call at a time, awaited (as the member's apply loop calls it): each put is one backend batch
(unsynced; the WAL's synced batch makes it durable). Keys are \`key/%08d\`, values ${VALUE.length} bytes.
Latencies in µs. A range visits every key in its span to count it (etcd's \`count\`), so its cost
grows with the span, not the limit; values are read only for the keys returned.

| backend | operation | ops | ops/s | p50 µs | p99 µs |
| --- | --- | ---: | ---: | ---: | ---: |
${out.filter((l) => l.startsWith('|')).join('\n')}

Heap held by the store after reopening (the key index; gc ${gc ? 'forced' : 'not forced, rough'}): ${heaps
    .map(([, n, mib]) => `${n} +${mib} MiB (${Math.round((Number(mib) * 2 ** 20) / KEYS)} B per key)`)
    .join(', ')}; values stay in the backend. On a loaded shared machine (see the load average) every
latency here is inflated several times over; compare rows of one run.
`,
);
