/**
 * The in-memory twin of LevelKv: the "disk" of a simulated member. It keeps every batch written
 * since the disk last settled, each marked durable or not, so a simulated power loss can drop any
 * batch that was never made durable. Batches are atomic (a LevelDB WriteBatch is one log record).
 *
 * What a synced write makes durable is LevelDB's rule, not "everything before it": a synced write
 * fsyncs the *current* log file only. When the memtable fills, LevelDB starts a new log file without
 * syncing the old one (`DBImpl::MakeRoomForWrite`), and the old log's unsynced tail is at risk until
 * its memtable has been written to a table file. `rotateLog()` (or `logBatches`, a rotation every
 * that many batches) models this: batches in a rotated log stay at risk after a later synced write,
 * and become durable when the next rotation finds their memtable flushed (LevelDB holds at most one
 * immutable memtable). Without rotation the disk is one log, and a synced write settles every earlier
 * batch, which is the simulators' classic model.
 *
 * A power loss keeps the durable batches and, by mode: 'drop' none of the others, 'tear' a prefix of
 * them (one log, cut at some point), 'any' each one independently (LevelDB's recovery skips a
 * corrupt log record and reads on). `powerLossKeeping` lets a test choose exactly which survive.
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

export type PowerLossMode = 'drop' | 'tear' | 'any';

export interface MemoryKvOptions {
  /** Start a new log file every this many batches (LevelDB's memtable filling up); default never. */
  readonly logBatches?: number;
}

interface Written {
  readonly ops: readonly KvOp[];
  /** The log file it was appended to. */
  readonly log: number;
  durable: boolean;
}

function applyOps(tree: Tree, ops: readonly KvOp[]): void {
  for (const op of ops) {
    if (op.type === 'put') tree.set(op.key, op.value);
    else tree.delete(op.key);
  }
}

export class MemoryKv {
  /** Everything before `history`, all durable. */
  private settled: Tree = newBTree(compareBytes);
  private live: Tree = newBTree(compareBytes);
  /** Batches since the disk last settled, in write order. */
  private history: Written[] = [];
  private log = 0;
  private batchesInLog = 0;
  private epoch = 0;
  private openHandle: MemoryKvHandle | undefined;
  private readonly logBatches: number | undefined;
  /** Called after each batch is written (tests crash the disk at chosen write boundaries). */
  onWrite: ((batches: number) => void) | undefined;
  /** Batches written since the disk was created. */
  writes = 0;

  constructor(
    readonly label = 'memory',
    options: MemoryKvOptions = {},
  ) {
    this.logBatches = options.logBatches;
  }

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
   * LevelDB starts a new log file. The previous rotated log's memtable has been flushed to a table
   * file by now (LevelDB waits for that before rotating again), so its batches become durable; the
   * current log's unsynced batches stay at risk.
   */
  rotateLog(): void {
    for (const w of this.history) if (w.log < this.log) w.durable = true;
    this.log++;
    this.batchesInLog = 0;
    this.settle();
  }

  /**
   * The machine loses power: 'drop' keeps only durable batches, 'tear' also a random prefix of the
   * others, 'any' each of the others with probability one half. Open handles fail from now on.
   * Returns how many non-durable batches survived.
   */
  powerLoss(mode: PowerLossMode, rng: Rng): number {
    const atRisk = this.unsyncedBatches();
    const prefix = mode === 'tear' ? rng.int(atRisk + 1) : 0;
    return this.powerLossKeeping((i) => (mode === 'drop' ? false : mode === 'tear' ? i < prefix : rng.next() < 0.5));
  }

  /** A power loss that keeps the i-th non-durable batch (in write order) exactly when `keep(i)`. */
  powerLossKeeping(keep: (i: number) => boolean): number {
    const after = this.settled.clone();
    let i = 0;
    let kept = 0;
    for (const w of this.history) {
      if (w.durable) applyOps(after, w.ops);
      else if (keep(i++)) {
        applyOps(after, w.ops);
        kept++;
      }
    }
    this.settled = after;
    this.history = [];
    this.live = after.clone();
    this.log++;
    this.batchesInLog = 0;
    this.kill();
    return kept;
  }

  /** A copy of the disk as it stands, closed (tests cut the power on a copy, not on the running member's disk). */
  fork(): MemoryKv {
    const copy = new MemoryKv(this.label, this.logBatches === undefined ? {} : { logBatches: this.logBatches });
    copy.settled = this.settled.clone();
    copy.live = this.live.clone();
    copy.history = this.history.map((w) => ({ ...w }));
    copy.log = this.log;
    copy.batchesInLog = this.batchesInLog;
    return copy;
  }

  /** Batches a power loss may still lose. */
  unsyncedBatches(): number {
    let n = 0;
    for (const w of this.history) if (!w.durable) n++;
    return n;
  }

  /** @internal used by handles */
  checkEpoch(epoch: number): void {
    if (epoch !== this.epoch) throw new KvError('Stopped', `${this.label}: storage handle used after a crash`);
  }

  /** @internal */
  write(ops: readonly KvOp[], sync: boolean): void {
    if (this.logBatches !== undefined && this.batchesInLog >= this.logBatches) this.rotateLog();
    const copies = ops.map(copyOp);
    applyOps(this.live, copies);
    // fsync covers the current log file: every earlier batch in it, not those in rotated logs.
    if (sync) for (const w of this.history) if (w.log === this.log) w.durable = true;
    this.history.push({ ops: copies, log: this.log, durable: sync });
    this.batchesInLog++;
    this.settle();
    this.writes++;
    this.onWrite?.(this.writes);
  }

  /** @internal */
  liveTree(): Tree {
    return this.live;
  }

  /** Folds the durable prefix of the history into `settled`, so the history stays short. */
  private settle(): void {
    let n = 0;
    while (n < this.history.length && (this.history[n] as Written).durable) applyOps(this.settled, (this.history[n++] as Written).ops);
    if (n > 0) this.history = this.history.slice(n);
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
