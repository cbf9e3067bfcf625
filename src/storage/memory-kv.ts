/**
 * The in-memory twin of LevelKv: the "disk" of a simulated member. It keeps what was synced
 * apart from what was only written, so a simulated power loss can drop, or tear to a random
 * prefix of, the batches written since the last synced one. LevelDB batches are atomic and its
 * log is sequential, so a power loss keeps some prefix of the unsynced batches, never part of
 * one (google/leveldb doc/index.md: "Synchronous Writes").
 *
 * A member reaches the disk through a handle from `open()`; a crash (`kill` or `powerLoss`)
 * invalidates every open handle, as the process dying would, and only one handle may be open at
 * a time (LevelDB's LOCK).
 */
import { newBTree, type BTree } from '../util/btree.js';
import { compareBytes } from '../util/bytes.js';
import { KvError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { IterateOptions } from './backend.js';
import type { KvOp, KvSnapshot, OrderedKv } from './kv.js';
import { iterateTree } from './memory-backend.js';

type Tree = BTree<Uint8Array, Uint8Array>;

async function* keysOf(entries: AsyncIterable<[Uint8Array, Uint8Array]>): AsyncIterable<Uint8Array> {
  for await (const [k] of entries) yield k;
}

export type PowerLossMode = 'drop' | 'tear';

function applyOps(tree: Tree, ops: readonly KvOp[]): void {
  for (const op of ops) {
    if (op.type === 'put') tree.set(op.key, op.value);
    else tree.delete(op.key);
  }
}

export class MemoryKv {
  private durable: Tree = newBTree(compareBytes);
  private live: Tree = newBTree(compareBytes);
  private unsynced: KvOp[][] = [];
  private epoch = 0;
  private openHandle: MemoryKvHandle | undefined;

  constructor(readonly label = 'memory') {}

  /** Opens the disk like a process opening its data dir; StorageLocked while another handle is open. */
  open(): OrderedKv {
    if (this.openHandle !== undefined && this.openHandle.isOpen()) {
      throw new KvError('StorageLocked', `${this.label}: data directory is locked by another process`);
    }
    this.openHandle = new MemoryKvHandle(this, this.epoch);
    return this.openHandle;
  }

  /** The process dies: open handles fail from now on; every write survives (LevelDB's OS buffers do). */
  kill(): void {
    this.epoch++;
    this.openHandle = undefined;
  }

  /**
   * The machine loses power: 'drop' keeps only synced batches, 'tear' also keeps a random
   * prefix of the unsynced ones. Open handles fail from now on. Returns how many unsynced
   * batches survived.
   */
  powerLoss(mode: PowerLossMode, rng: Rng): number {
    const kept = mode === 'drop' ? 0 : rng.int(this.unsynced.length + 1);
    for (const ops of this.unsynced.slice(0, kept)) applyOps(this.durable, ops);
    this.unsynced = [];
    this.live = this.durable.clone();
    this.kill();
    return kept;
  }

  /** Batches written since the last synced one (what a power loss may lose). */
  unsyncedBatches(): number {
    return this.unsynced.length;
  }

  /** @internal used by handles */
  checkEpoch(epoch: number): void {
    if (epoch !== this.epoch) throw new KvError('Stopped', `${this.label}: storage handle used after a crash`);
  }

  /** @internal */
  write(ops: readonly KvOp[], sync: boolean): void {
    const copies = ops.map(copyOp);
    applyOps(this.live, copies);
    if (sync) {
      for (const batch of this.unsynced) applyOps(this.durable, batch);
      applyOps(this.durable, copies);
      this.unsynced = [];
    } else {
      this.unsynced.push(copies);
    }
  }

  /** @internal */
  liveTree(): Tree {
    return this.live;
  }
}

/** Copies so a caller mutating its buffers later cannot change stored data. */
function copyOp(op: KvOp): KvOp {
  return op.type === 'put' ? { type: 'put', key: op.key.slice(), value: op.value.slice() } : { type: 'del', key: op.key.slice() };
}

class MemoryKvHandle implements OrderedKv {
  private closed = false;
  readonly label: string;

  constructor(
    private readonly disk: MemoryKv,
    private readonly epoch: number,
  ) {
    this.label = disk.label;
  }

  isOpen(): boolean {
    return !this.closed;
  }

  private check(): void {
    if (this.closed) throw new KvError('Stopped', `${this.label}: storage is closed`);
    this.disk.checkEpoch(this.epoch);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.check();
    return this.disk.liveTree().get(key);
  }

  iterate(options: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.check();
    // Iterate a copy-on-write clone: LevelDB iterators read from an implicit snapshot too.
    return iterateTree(this.disk.liveTree().clone(), options);
  }

  keys(options: IterateOptions): AsyncIterable<Uint8Array> {
    return keysOf(this.iterate(options));
  }

  async batch(ops: readonly KvOp[], options: { readonly sync: boolean }): Promise<void> {
    this.check();
    if (ops.length === 0) return;
    this.disk.write(ops, options.sync);
  }

  snapshot(): KvSnapshot {
    this.check();
    const frozen = this.disk.liveTree().clone();
    return {
      get: async (key) => frozen.get(key),
      iterate: (options) => iterateTree(frozen, options),
      keys: (options) => keysOf(iterateTree(frozen, options)),
      release: async () => {},
    };
  }

  async compactRange(): Promise<void> {
    this.check();
  }

  async sizeBytes(): Promise<number> {
    this.check();
    let size = 0;
    for (const [k, v] of this.disk.liveTree().entries()) size += k.length + v.length;
    return size;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
