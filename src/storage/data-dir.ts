/**
 * A member's data directory: the active LevelDB store (kv-dir.ts names it), opened once, locked
 * against a second process, handing out the WAL and the backend as views over disjoint key
 * prefixes (keys.ts). A snapshot install builds a staged store beside the active one
 * (staged-store.ts) and `installStaged` switches to it atomically; the WAL and the backend
 * follow the switch (switchable-kv.ts). `MemoryDataDir` is the simulator's twin over a
 * MemoryKvDir "disk".
 */
import { join } from 'node:path';
import type { SnapshotMetadata } from '../raft/types.js';
import { KvError } from '../util/errors.js';
import type { BackendOp } from './backend.js';
import { BufferedBackend } from './buffered-backend.js';
import { prepareDataDir, type DataDirWarning } from './data-dir-files.js';
import { DEFAULT_STORE, FsKvDir, POINTER_FILE, nextStoreName, type KvDir, type SwitchStep } from './kv-dir.js';
import { KvBackend, backendKvOps } from './kv-backend.js';
import type { KvWal } from './kv-wal.js';
import type { OrderedKv } from './kv.js';
import { LevelKv } from './level-kv.js';
import { LevelWal, repairKv, type RepairResult } from './level-wal.js';
import { MemoryKv } from './memory-kv.js';
import { MemoryKvDir } from './memory-kv-dir.js';
import { MemoryWal } from './memory-wal.js';
import { StagedStore } from './staged-store.js';
import { SwitchableKv } from './switchable-kv.js';

/** Points of an install a test may crash at (in order). */
export type InstallStep = 'staged' | 'synced' | SwitchStep | 'switched' | 'moved';

export interface DataDir {
  readonly dir: string;
  /** Call `wal.load()` first, once. */
  readonly wal: LevelWal | MemoryWal;
  /** Buffered: the applier's writes of one Ready land as one batch (buffered-backend.ts). */
  readonly backend: BufferedBackend;
  /** A new empty store beside the active one, to receive a snapshot. */
  stage(): Promise<StagedStore>;
  /**
   * Makes `staged` (holding snapshot `meta`'s backend) the active store: writes the WAL state at
   * `meta` and `localOps` (this member's own records) into it, syncs it, switches the pointer,
   * and moves the WAL and the backend onto it. A crash at any point leaves the old store or the
   * new one active.
   */
  installStaged(staged: StagedStore, meta: SnapshotMetadata, localOps: readonly BackendOp[], onStep?: (step: InstallStep) => Promise<void>): Promise<void>;
  /** Closes the WAL, the backend and the store (releasing the lock); removes unfinished staging. */
  close(): Promise<void>;
}

async function openChecked(kv: OrderedKv, label: string): Promise<void> {
  const backend = new KvBackend(kv);
  if (await backend.restoreInterrupted()) {
    await kv.close();
    throw new KvError('StorageCorrupt', `${label}: a backend restore from a snapshot was interrupted; the backend holds a mix of old and new state (remove the member's data and rejoin)`);
  }
}

/** Where the first store of `dir` lives (a data dir that never installed a snapshot has only this). */
export function levelLocation(dir: string): string {
  return join(dir, DEFAULT_STORE);
}

/** Where the active store of `dir` lives (for tools that open the raw store). */
export async function activeLocation(dir: string): Promise<string> {
  return join(dir, await levelStores(dir).active());
}

function levelStores(dir: string): FsKvDir {
  return new FsKvDir(dir, { openStore: (location, label) => LevelKv.open(location, label) });
}

/**
 * Opens the active store of `stores`, then removes every other store (old ones a switch left
 * behind, staging a crash abandoned). The pointer is read again once the store is open and
 * locked: a process that read it just before another switched away would otherwise hold a
 * store that is no longer active, and remove the active one.
 */
async function openActive(stores: KvDir): Promise<{ name: string; kv: OrderedKv }> {
  for (;;) {
    const name = await stores.active();
    // Opening creates a missing store: an empty one in place of the active one would make the
    // member bootstrap afresh and then remove its real data as stale.
    if (name !== DEFAULT_STORE && !(await stores.stores()).includes(name)) {
      throw new KvError('StorageCorrupt', `${stores.label}: ${POINTER_FILE} names the store ${name}, which is missing`);
    }
    const kv = await stores.open(name);
    if ((await stores.active()) !== name) {
      await kv.close();
      continue;
    }
    await openChecked(kv, stores.label);
    const others = (await stores.stores()).filter((other) => other !== name);
    // The pointer read may not be durable yet (a crash right after its rename, before the
    // directory sync): make it so before removing the store it replaced, or a power cut could
    // bring the old pointer back naming a store that is gone.
    if (others.length > 0) await stores.setActive(name);
    for (const other of others) await stores.remove(other);
    return { name, kv };
  }
}

/**
 * Opens (creating if missing, 0700) `dir`; KvError StorageLocked if another process holds it,
 * StorageFailed naming the errno if the disk refuses. `warn` hears of a data dir others can read.
 */
export async function openDataDir(dir: string, warn?: DataDirWarning): Promise<LevelDataDir> {
  await prepareDataDir(dir, warn);
  return dataDirIn(levelStores(dir));
}

/** A data dir over any stores (test disks), opened and cleaned as openDataDir does. */
export async function dataDirIn(stores: KvDir): Promise<LevelDataDir> {
  const { name, kv } = await openActive(stores);
  return new LevelDataDir(stores, name, kv);
}

abstract class KvDataDir implements DataDir {
  readonly backend: BufferedBackend;
  protected readonly kv: SwitchableKv;
  private readonly staging = new Set<StagedStore>();

  protected constructor(
    private readonly stores: KvDir,
    private activeName: string,
    kv: OrderedKv,
    /** How long the backend buffers writes before landing them on its own (buffered-backend.ts). */
    flushDelayMs?: number,
  ) {
    this.kv = new SwitchableKv(kv);
    this.backend = new BufferedBackend(new KvBackend(this.kv), flushDelayMs);
  }

  abstract readonly wal: LevelWal | MemoryWal;

  get dir(): string {
    return this.stores.label;
  }

  async stage(): Promise<StagedStore> {
    const taken = [...(await this.stores.stores()), this.activeName, ...[...this.staging].map((s) => s.name)];
    const name = nextStoreName(taken);
    const staged = new StagedStore(name, await this.stores.open(name), (s) => this.discard(s));
    this.staging.add(staged);
    return staged;
  }

  async installStaged(staged: StagedStore, meta: SnapshotMetadata, localOps: readonly BackendOp[], onStep?: (step: InstallStep) => Promise<void>): Promise<void> {
    if (!this.staging.has(staged)) throw new KvError('StorageCorrupt', `${this.dir}: staged store ${staged.name} was discarded`);
    const oldName = this.activeName;
    await this.wal.moveTo(meta, async (walRecords) => {
      await onStep?.('staged');
      // Every staged batch is synced (staged-store.ts), so this one covers nothing but itself.
      await staged.kv.batch([...walRecords, ...backendKvOps(localOps)], { sync: true });
      await onStep?.('synced');
      // From here the pointer may name the staged store (even if the switch fails half-way), so it
      // is no longer staging: close() must not remove it. The next open removes whichever loses.
      this.staging.delete(staged);
      await this.stores.setActive(staged.name, onStep);
      await onStep?.('switched');
      this.activeName = staged.name;
      const old = this.kv.swap(staged.kv);
      await old.close();
    });
    await onStep?.('moved');
    await this.stores.remove(oldName);
  }

  async close(): Promise<void> {
    for (const staged of [...this.staging]) await staged.discard();
    await closeInOrder(this.wal, this.backend);
    await this.kv.close();
  }

  private async discard(staged: StagedStore): Promise<void> {
    if (!this.staging.delete(staged)) return;
    await staged.kv.close().catch(() => undefined);
    await this.stores.remove(staged.name);
  }
}

export class LevelDataDir extends KvDataDir {
  readonly wal: LevelWal;

  constructor(stores: KvDir, activeName: string, kv: OrderedKv) {
    super(stores, activeName, kv);
    this.wal = new LevelWal(this.kv);
    shareOneWriter(this.wal, this.backend);
  }
}

/** A bare MemoryKv given as a disk is the first store of one MemoryKvDir, the same on every open. */
const wrapped = new WeakMap<MemoryKv, MemoryKvDir>();

/** The simulator's data dir: WAL and backend share the active MemoryKv, so a power loss hits both. */
export class MemoryDataDir extends KvDataDir {
  readonly wal: MemoryWal;

  private constructor(
    readonly disk: MemoryKvDir,
    view: KvDir,
    activeName: string,
    kv: OrderedKv,
  ) {
    // Flushed on the next turn, not after a wall-clock delay: simulations stay deterministic.
    super(view, activeName, kv, 0);
    this.wal = new MemoryWal(disk.activeDisk(), this.kv);
    shareOneWriter(this.wal, this.backend);
  }

  /** Like openDataDir: refuses a disk whose backend restore was interrupted; removes stale stores. */
  static async open(disk: MemoryKvDir | MemoryKv = new MemoryKvDir()): Promise<MemoryDataDir> {
    let dir: MemoryKvDir;
    if (disk instanceof MemoryKvDir) dir = disk;
    else {
      dir = wrapped.get(disk) ?? new MemoryKvDir(disk.label, disk);
      wrapped.set(disk, dir);
    }
    const view = dir.attach();
    const { name, kv } = await openActive(view);
    return new MemoryDataDir(dir, view, name, kv);
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
  const kv = await LevelKv.open(await activeLocation(dir), dir);
  try {
    return await repairKv(kv);
  } finally {
    await kv.close();
  }
}

