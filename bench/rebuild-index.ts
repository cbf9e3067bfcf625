/**
 * Issue 18: the key index's two costs at scale, measured apart from the member around them.
 *
 *   fill:    `--fill --keys N --dir D` writes N keys (one revision each, 256 B values) straight
 *            into a LevelDB backend's key bucket, as N puts would have left it.
 *   rebuild: `--dir D` opens it and rebuilds the key index, printing CPU (user + system), wall
 *            time and the heap the index holds after a full GC.
 *   heap:    `--heap --keys N` builds an index of N keys in memory (no backend) and prints the
 *            heap per key after a full GC.
 *   image:   `--image --dir D` (this tree only) rebuilds as above, packs the index into a flat
 *            image of single-revision keys (what a persisted index image would hold), then
 *            measures loading it back: one B-tree insert per key as the index does today, and
 *            sorted-btree's bulkLoad from the already sorted keys. A prototype to size issue 18's
 *            persisted image (bench/RESULTS.md), not the format it would have.
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
    image: { type: 'boolean', default: false },
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

/** key length (u16), key, version, created main, created sub, main, sub, lease (f64 each). */
function packImage(index: TreeIndex): Buffer[] {
  const chunks: Buffer[] = [];
  let buf = Buffer.alloc(1 << 20);
  let at = 0;
  index.visit({ start: '', end: '' }, (key, ki) => {
    const gens = ki.revisions();
    const only = gens.length === 1 ? gens[0]?.[0] : undefined;
    if (only === undefined || (gens[0]?.length ?? 0) !== 1) throw new Error('prototype image holds single-revision keys only');
    const hit = ki.get(only.main);
    if (hit === undefined) throw new Error('live key without a hit');
    if (at + 2 + key.length + 48 > buf.length) {
      chunks.push(buf.subarray(0, at));
      buf = Buffer.alloc(1 << 20);
      at = 0;
    }
    at = buf.writeUInt16BE(key.length, at);
    at += buf.write(key, at, 'latin1');
    for (const n of [hit.version, hit.created.main, hit.created.sub, hit.modified.main, hit.modified.sub, ki.lease]) at = buf.writeDoubleBE(n, at);
  });
  chunks.push(buf.subarray(0, at));
  return chunks;
}

async function image(): Promise<void> {
  const { KeyIndex } = await import('../src/store/key-index.js');
  const { bulkLoad } = (await import('sorted-btree/extended/bulkLoad.js')) as unknown as { bulkLoad: <K, V>(k: K[], v: V[], size: number, cmp: (a: K, b: K) => number, load?: number) => { size: number } };
  const kv = await LevelKv.open(args.dir, 'bench');
  const { index } = await rebuildIndex(new KvBackend(kv));
  await kv.close();
  const chunks = packImage(index);
  const bytes = chunks.reduce((n, c) => n + c.length, 0);
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  function load(into: 'insert' | 'bulk'): void {
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const cpu0 = process.cpuUsage();
    const fresh = new TreeIndex();
    const keys: string[] = [];
    const kis: InstanceType<typeof KeyIndex>[] = [];
    for (const c of chunks) {
      let at = 0;
      while (at < c.length) {
        const len = c.readUInt16BE(at);
        const key = c.toString('latin1', at + 2, at + 2 + len);
        at += 2 + len;
        const ki = into === 'insert' ? fresh.add(key) : new KeyIndex();
        ki.restore({ main: c.readDoubleBE(at + 8), sub: c.readDoubleBE(at + 16) }, { main: c.readDoubleBE(at + 24), sub: c.readDoubleBE(at + 32) }, c.readDoubleBE(at));
        ki.lease = c.readDoubleBE(at + 40);
        at += 48;
        if (into === 'bulk') {
          keys.push(key);
          kis.push(ki);
        }
      }
    }
    const tree = into === 'bulk' ? bulkLoad(keys, kis, 64, cmp, 1) : undefined;
    keys.length = 0;
    kis.length = 0;
    const cpu = process.cpuUsage(cpu0);
    gc();
    const size = into === 'bulk' ? (tree?.size ?? 0) : fresh.size;
    console.log(JSON.stringify({ label: `${args.label} load image (${into})`, keys: size, imageMiB: +(bytes / 2 ** 20).toFixed(1), cpuS: +((cpu.user + cpu.system) / 1e6).toFixed(2), heapPerKeyB: Math.round((process.memoryUsage().heapUsed - heap0) / size) }));
  }
  load('insert');
  load('bulk');
  load('insert');
  load('bulk');
}

if (args.image) await image();
else if (args.heap) heapPerKey();
else if (args.fill) await fill();
else await rebuild();
