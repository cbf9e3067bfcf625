/**
 * Profiling aid (not a benchmark of record): a single LevelDB-backed member, N concurrent
 * in-process writers for S seconds, reporting puts/s and latency. Run with
 * `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-put.ts --clients 16 --seconds 5`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode } from '../src/index.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const clients = arg('clients', 16);
const seconds = arg('seconds', 5);
const dir = mkdtempSync(join(tmpdir(), 'cairn-prof-'));
const node = await startNode({ dataDir: join(dir, 'd'), logLevel: 'error' });
const value = new Uint8Array(256);
const lat: number[] = [];
const end = Date.now() + seconds * 1000;
await Promise.all(
  Array.from({ length: clients }, async (_, c) => {
    let i = 0;
    while (Date.now() < end) {
      const t0 = performance.now();
      await node.put({ key: new TextEncoder().encode(`k/${c}/${i++ % 100}`), value });
      lat.push(performance.now() - t0);
    }
  }),
);
lat.sort((a, b) => a - b);
console.log(`${clients} clients: ${(lat.length / seconds).toFixed(0)} puts/s, p50 ${lat[Math.floor(lat.length / 2)]?.toFixed(2)} ms, p99 ${lat[Math.floor(lat.length * 0.99)]?.toFixed(2)} ms`);
await node.close();
rmSync(dir, { recursive: true, force: true });
