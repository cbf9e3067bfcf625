/**
 * Issue 18: the key index's two costs at scale, measured apart from the member around them.
 *
 *   fill:    `--fill --keys N --dir D` writes N keys (one revision each, 256 B values) straight
 *            into a LevelDB backend's key bucket, as N puts would have left it.
 *   rebuild: `--dir D` opens it and rebuilds the key index, printing CPU (user + system), wall
 *            time and the heap the index holds after a full GC.
 *   heap:    `--heap --keys N` builds an index of N keys in memory (no backend) and prints the
 *            heap per key after a full GC.
 *
 * Run with `node --expose-gc --import tsx bench/rebuild-index.ts …`. The script uses only APIs
 * that older trees have too, so a `git archive` of an earlier commit can run the same file for an
 * interleaved before/after comparison on one data dir.
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { LevelKv } from '../src/storage/level-kv.js';
import { KvBackend } from '../src/storage/kv-backend.js';
import type { BackendOp } from '../src/storage/backend.js';
import { encodeRecord } from '../src/store/records.js';
import { encodeRevKey } from '../src/store/revision.js';
import { rebuildIndex } from '../src/store/index-rebuild.js';
import { TreeIndex } from '../src/store/tree-index.js';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    dir: { type: 'string', default: '/tmp/cairn-rebuild' },
    fill: { type: 'boolean', default: false },
    heap: { type: 'boolean', default: false },
    label: { type: 'string', default: '' },
  },
});
const keys = Number(args.keys);
const keyName = (i: number): Uint8Array => Buffer.from(`scale/${String(i).padStart(8, '0')}`, 'latin1');

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('run with node --expose-gc');
  g();
  g();
}

async function fill(): Promise<void> {
  const kv = await LevelKv.open(args.dir, 'bench');
  const backend = new KvBackend(kv);
  const perTxn = 100;
  for (let first = 0; first < keys; first += perTxn) {
    const ops: BackendOp[] = [];
    const main = first / perTxn + 2;
    for (let sub = 0; sub < perTxn && first + sub < keys; sub++) {
      const key = keyName(first + sub);
      // A value of its own per key: one shared value would compress away and hide the reads' cost.
      const value = randomBytes(256);
      const record = encodeRecord({ key, createRevision: main, modRevision: main, version: 1, value, lease: 0 });
      ops.push({ type: 'put', bucket: 'key', key: encodeRevKey({ main, sub }), value: record });
    }
    await backend.write(ops);
  }
  await backend.close();
  await kv.compactRange(new Uint8Array([0]), new Uint8Array([255])).catch(() => undefined);
  console.log(`filled ${keys} keys into ${args.dir}`);
}

async function rebuild(): Promise<void> {
  const kv = await LevelKv.open(args.dir, 'bench');
  const backend = new KvBackend(kv);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { index } = await rebuildIndex(backend);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  gc();
  const heap = process.memoryUsage().heapUsed - heapBefore;
  const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(JSON.stringify({ label: args.label, keys: index.size, wallS: +wall.toFixed(2), cpuS: +cpuS.toFixed(2), userS: +(cpu.user / 1e6).toFixed(2), sysS: +(cpu.system / 1e6).toFixed(2), heapPerKeyB: Math.round(heap / index.size) }));
  await kv.close();
}

function heapPerKey(): void {
  gc();
  const before = process.memoryUsage().heapUsed;
  const index = new TreeIndex();
  for (let i = 0; i < keys; i++) {
    const key = Buffer.from(keyName(i)).toString('latin1');
    index.getOrCreate(key).put({ main: Math.floor(i / 100) + 2, sub: i % 100 });
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  console.log(JSON.stringify({ label: args.label, keys: index.size, heapPerKeyB: Math.round((after - before) / index.size) }));
}

if (args.heap) heapPerKey();
else if (args.fill) await fill();
else await rebuild();
