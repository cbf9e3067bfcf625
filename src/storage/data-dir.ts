/**
 * A member's data directory: one LevelDB (`<dir>/db`), opened once, locked against a second
 * process, handing out the WAL and the backend as views over disjoint key prefixes (keys.ts).
 * `MemoryDataDir` is the simulator's twin over a MemoryKv "disk".
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { KvError } from '../util/errors.js';
import { BufferedBackend } from './buffered-backend.js';
import { KvBackend, LevelBackend, backendKvOps } from './kv-backend.js';
import type { KvWal } from './kv-wal.js';
import type { OrderedKv } from './kv.js';
import { LevelKv } from './level-kv.js';
import { LevelWal, repairKv, type RepairResult } from './level-wal.js';
import { MemoryKv } from './memory-kv.js';
import { MemoryWal } from './memory-wal.js';

export interface DataDir {
  readonly dir: string;
  /** Call `wal.load()` first, once. */
  readonly wal: LevelWal | MemoryWal;
  /** Buffered: the applier's writes of one Ready land as one batch (buffered-backend.ts). */
  readonly backend: BufferedBackend;
  /** Closes the WAL, the backend and the store (releasing the lock). */
  close(): Promise<void>;
}

async function openChecked(kv: OrderedKv, label: string): Promise<void> {
  const backend = new KvBackend(kv);
  if (await backend.restoreInterrupted()) {
    await kv.close();
    throw new KvError('StorageCorrupt', `${label}: a backend restore from a snapshot was interrupted; the backend holds a mix of old and new state (remove the member's data and rejoin)`);
  }
}

export function levelLocation(dir: string): string {
  return join(dir, 'db');
}

/** Opens (creating if missing) `dir`; KvError StorageLocked if another process holds it. */
export async function openDataDir(dir: string): Promise<LevelDataDir> {
  await mkdir(dir, { recursive: true });
  const kv = await LevelKv.open(levelLocation(dir), dir);
  await openChecked(kv, dir);
  return new LevelDataDir(dir, kv);
}

/** A data dir over a store that is already open (test disks), refusing an interrupted restore as openDataDir does. */
export async function dataDirOver(dir: string, kv: OrderedKv): Promise<LevelDataDir> {
  await openChecked(kv, dir);
  return new LevelDataDir(dir, kv);
}

export class LevelDataDir implements DataDir {
  readonly wal: LevelWal;
  readonly backend: BufferedBackend;

  constructor(
    readonly dir: string,
    private readonly kv: OrderedKv,
  ) {
    this.wal = new LevelWal(kv);
    this.backend = new BufferedBackend(new LevelBackend(kv));
    shareOneWriter(this.wal, this.backend);
  }

  async close(): Promise<void> {
    await closeInOrder(this.wal, this.backend);
    await this.kv.close();
  }
}

/** The simulator's data dir: WAL and backend share one MemoryKv, so a power loss hits both. */
export class MemoryDataDir implements DataDir {
  readonly wal: MemoryWal;
  readonly backend: BufferedBackend;
  private readonly kv: OrderedKv;

  /** Pass the `disk` of a crashed member to restart it over what survived. */
  constructor(readonly disk: MemoryKv = new MemoryKv()) {
    this.kv = disk.open();
    this.wal = new MemoryWal(disk, this.kv);
    // Flushed on the next turn, not after a wall-clock delay: simulations stay deterministic.
    this.backend = new BufferedBackend(new KvBackend(this.kv), 0);
    shareOneWriter(this.wal, this.backend);
  }

  get dir(): string {
    return this.disk.label;
  }

  /** Like openDataDir: refuses a disk whose backend restore was interrupted. */
  static async open(disk: MemoryKv): Promise<MemoryDataDir> {
    const dataDir = new MemoryDataDir(disk);
    await openChecked(dataDir.kv, disk.label);
    return dataDir;
  }

  async close(): Promise<void> {
    await closeInOrder(this.wal, this.backend);
    await this.kv.close();
  }
}

/**
 * The backend's writes land only in the WAL's batches, each synced (docs/architecture.md,
 * "Storage invariant"): one serialized stream of LevelDB batches, none relying on another.
 */
function shareOneWriter(wal: KvWal, backend: BufferedBackend): void {
  wal.carry(() => {
    const drained = backend.drain();
    return drained && { ops: backendKvOps(drained.ops), landed: drained.landed, failed: drained.failed };
  });
  backend.landThrough(() => wal.flushCarried());
}

/** The backend first: its last pending writes land through the WAL, which must still be open. */
async function closeInOrder(wal: KvWal, backend: BufferedBackend): Promise<void> {
  try {
    await backend.close();
  } finally {
    await wal.close();
  }
}

/** The offline repair (`cairn` CLI wraps it): see repairKv. The directory must not be in use. */
export async function repairWal(dir: string): Promise<RepairResult> {
  const kv = await LevelKv.open(levelLocation(dir), dir);
  try {
    return await repairKv(kv);
  } finally {
    await kv.close();
  }
}
