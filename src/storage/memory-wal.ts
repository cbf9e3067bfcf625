/**
 * The simulator's WAL: the same code as LevelWal (KvWal) over a MemoryKv "disk" that can lose
 * power. LevelDB keeps unsynced writes across a process kill, so only this twin exercises a
 * power loss.
 */
import type { Rng } from '../util/rng.js';
import { KvWal } from './kv-wal.js';
import type { OrderedKv } from './kv.js';
import { MemoryKv, type PowerLossMode } from './memory-kv.js';

export class MemoryWal extends KvWal {
  private readonly ownsHandle: boolean;

  /** `kv` is a handle on `disk` shared with a backend (MemoryDataDir); by default the WAL opens its own. */
  constructor(
    readonly disk: MemoryKv = new MemoryKv(),
    kv?: OrderedKv,
  ) {
    super(kv ?? disk.open());
    this.ownsHandle = kv === undefined;
  }

  /**
   * Discards (`drop`) or tears (`tear`: keeps a random prefix of) every batch written since the
   * last synced one, on the whole disk, and invalidates this WAL like a crash would. Reopen with
   * `new MemoryWal(wal.disk)`. Returns how many unsynced batches survived.
   */
  powerLoss(mode: PowerLossMode, rng: Rng): number {
    return this.disk.powerLoss(mode, rng);
  }

  override async close(): Promise<void> {
    await super.close();
    if (this.ownsHandle) await this.kv.close();
  }
}
