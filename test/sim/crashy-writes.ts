/**
 * The durability model shared by the simulators: writes land in a pending list and reach the
 * durable state only when a synced write flushes them (LevelDB's `sync: true` fsyncs everything
 * before it). A crash keeps a random *prefix* of the pending writes (the OS wrote some of its page
 * cache in order, then the power went) and drops the rest — FoundationDB's non-durable file and
 * TigerBeetle's "crash corrupts pending writes" reduced to whole records, since our log records
 * carry CRCs and a torn record is discarded on replay.
 */
import type { Rng } from '../../src/util/rng.js';

export interface CrashStats {
  syncs: number;
  unsyncedWrites: number;
  crashes: number;
  lostWrites: number;
}

export class CrashyWrites<S, Op> {
  private pending: Op[] = [];
  readonly stats: CrashStats = { syncs: 0, unsyncedWrites: 0, crashes: 0, lostWrites: 0 };

  constructor(
    private state: S,
    /** Applies one write to a durable state, returning the new state (may mutate and return it). */
    private readonly applyOp: (state: S, op: Op) => S,
  ) {}

  /** Records a write; `sync` makes it and every earlier pending write durable. */
  write(op: Op, sync: boolean): void {
    this.pending.push(op);
    if (sync) this.sync();
    else this.stats.unsyncedWrites++;
  }

  sync(): void {
    this.stats.syncs++;
    for (const op of this.pending) this.state = this.applyOp(this.state, op);
    this.pending = [];
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** What survives a crash now: the durable state plus a random prefix of pending writes. */
  crash(rng: Rng): S {
    this.stats.crashes++;
    const keep = rng.int(this.pending.length + 1);
    this.stats.lostWrites += this.pending.length - keep;
    for (const op of this.pending.slice(0, keep)) this.state = this.applyOp(this.state, op);
    this.pending = [];
    return this.state;
  }

  /** The durable state as of the last sync (pending writes not included). */
  durable(): S {
    return this.state;
  }
}
