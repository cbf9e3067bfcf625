/**
 * The simulator's twin of a data directory (kv-dir.ts): several MemoryKv stores and the pointer
 * naming the active one. The pointer is written, then made durable, as the rename and the
 * directory fsync are on disk: a power loss between the two keeps the old pointer. A power loss
 * hits every store at once, each losing what it never synced; a kill loses nothing.
 */
import { KvError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { DEFAULT_STORE, checkStoreName, type KvDir, type SwitchStep } from './kv-dir.js';
import type { OrderedKv } from './kv.js';
import { MemoryKv, type MemoryKvOptions, type PowerLossMode } from './memory-kv.js';

export class MemoryKvDir implements KvDir {
  private readonly disks = new Map<string, MemoryKv>();
  private livePointer: string = DEFAULT_STORE;
  private durablePointer: string = DEFAULT_STORE;
  private epoch = 0;

  /**
   * `first` becomes the `db` store (a disk written before it had stores beside it); `options`
   * shape every store made here (e.g. LevelDB-like log rotation).
   */
  constructor(
    readonly label = 'memory',
    first?: MemoryKv,
    private readonly options: MemoryKvOptions = {},
  ) {
    this.disks.set(DEFAULT_STORE, first ?? new MemoryKv(label, options));
  }

  async active(): Promise<string> {
    return this.livePointer;
  }

  async setActive(name: string, onStep?: (step: SwitchStep) => Promise<void>): Promise<void> {
    checkStoreName(this.label, name);
    const epoch = this.epoch;
    this.livePointer = name;
    await onStep?.('pointer-written');
    if (epoch !== this.epoch) throw new KvError('Stopped', `${this.label}: storage used after a crash`);
    this.durablePointer = name;
  }

  async open(name: string): Promise<OrderedKv> {
    checkStoreName(this.label, name);
    let disk = this.disks.get(name);
    if (disk === undefined) {
      disk = new MemoryKv(this.label, this.options);
      this.disks.set(name, disk);
    }
    return disk.open();
  }

  async stores(): Promise<string[]> {
    return [...this.disks.keys()];
  }

  async remove(name: string): Promise<void> {
    this.disks.delete(name);
  }

  /**
   * The directory as one process sees it: after a kill or power loss every call through it
   * fails, as a dead process does nothing more (the next process attaches again).
   */
  attach(): KvDir {
    const epoch = this.epoch;
    const check = (): void => {
      if (epoch !== this.epoch) throw new KvError('Stopped', `${this.label}: storage used after a crash`);
    };
    return {
      label: this.label,
      active: async () => (check(), this.active()),
      setActive: async (name, onStep) => (check(), this.setActive(name, onStep)),
      open: async (name) => (check(), this.open(name)),
      stores: async () => (check(), this.stores()),
      remove: async (name) => (check(), this.remove(name)),
    };
  }

  /** The store the pointer names now (tests inspect it). */
  activeDisk(): MemoryKv {
    const disk = this.disks.get(this.livePointer);
    if (disk === undefined) throw new KvError('StorageCorrupt', `${this.label}: the active store ${this.livePointer} is missing`);
    return disk;
  }

  /** The process dies: every open handle fails; every write survives. */
  kill(): void {
    this.epoch++;
    for (const disk of this.disks.values()) disk.kill();
  }

  /**
   * The machine loses power: each store keeps what it synced (and with 'tear' a prefix of the
   * rest), and the pointer reverts to its last durable value. Returns the unsynced batches kept.
   */
  powerLoss(mode: PowerLossMode, rng: Rng): number {
    this.epoch++;
    this.livePointer = this.durablePointer;
    let kept = 0;
    for (const disk of this.disks.values()) kept += disk.powerLoss(mode, rng);
    return kept;
  }

  /** Unsynced batches across every store (what a power loss may lose). */
  unsyncedBatches(): number {
    let n = 0;
    for (const disk of this.disks.values()) n += disk.unsyncedBatches();
    return n;
  }
}
