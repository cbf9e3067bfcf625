/**
 * Harnesses that let one conformance suite drive both twins: a "disk" that survives close and
 * reopen, raw access for corruption tests, and cleanup.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../src/storage/backend.js';
import { MemoryDataDir, levelLocation, openDataDir, repairWal, type DataDir } from '../../src/storage/data-dir.js';
import type { KvOp, OrderedKv } from '../../src/storage/kv.js';
import { LevelKv } from '../../src/storage/level-kv.js';
import { repairKv, type RepairResult } from '../../src/storage/level-wal.js';
import { MemoryKv } from '../../src/storage/memory-kv.js';
import { fromUtf8 } from '../../src/util/bytes.js';

export interface StorageHarness {
  readonly label: string;
  /** Opens the data dir (the previous one must be closed). */
  open(): Promise<DataDir>;
  /** Runs `fn` on the raw store while no data dir is open (corruption tests, inspection). */
  raw<T>(fn: (kv: OrderedKv) => Promise<T>): Promise<T>;
  repair(): Promise<RepairResult>;
  cleanup(): Promise<void>;
}

export async function tempDir(prefix = 'cairn-storage-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function levelHarness(): Promise<StorageHarness> {
  const dir = await tempDir();
  return {
    label: dir,
    open: () => openDataDir(dir),
    raw: async (fn) => {
      const kv = await LevelKv.open(levelLocation(dir), dir);
      try {
        return await fn(kv);
      } finally {
        await kv.close();
      }
    },
    repair: () => repairWal(dir),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export function memoryHarness(disk = new MemoryKv('mem-disk-1')): StorageHarness & { disk: MemoryKv } {
  return {
    disk,
    label: disk.label,
    open: () => MemoryDataDir.open(disk),
    raw: async (fn) => {
      const kv = disk.open();
      try {
        return await fn(kv);
      } finally {
        await kv.close();
      }
    },
    repair: async () => {
      const kv = disk.open();
      try {
        return await repairKv(kv);
      } finally {
        await kv.close();
      }
    },
    cleanup: async () => {},
  };
}

export async function rawWrite(h: StorageHarness, ops: KvOp[]): Promise<void> {
  await h.raw((kv) => kv.batch(ops, { sync: true }));
}

/** Every key and value of a store as text, then closes it (small test disks). */
export async function textContents(kv: OrderedKv): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const [k, v] of kv.iterate({})) out[fromUtf8(k)] = fromUtf8(v);
  await kv.close();
  return out;
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export type BackendFactory = () => Promise<{ backend: Backend; cleanup: () => Promise<void> }>;
