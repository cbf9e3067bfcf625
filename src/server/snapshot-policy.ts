/**
 * When to snapshot and how much log to keep (etcd `triggerSnapshot`): every `--snapshot-count`
 * applied entries, record a snapshot at the applied index and drop the log behind it, keeping
 * `snapshotCatchUpEntries` so a slightly slow follower still catches up from the log.
 */
import type { MemoryStorage } from '../raft/storage.js';
import type { ConfState } from '../raft/types.js';
import type { Wal } from '../storage/wal.js';
import type { Clock } from '../util/clock.js';
import type { MemberConfig } from './config.js';

/** How a saved snapshot is timed (etcd's etcd_debugging_snap_save_total_duration_seconds). */
export interface SnapshotSaveTiming {
  readonly clock: Clock;
  onSaved(seconds: number): void;
}

export class SnapshotPolicy {
  constructor(
    private readonly config: Pick<MemberConfig, 'snapshotCount' | 'snapshotCatchUpEntries'>,
    private readonly storage: MemoryStorage,
    private readonly wal: Wal,
    private snapshotIndex: number,
    private readonly timing?: SnapshotSaveTiming,
  ) {}

  installed(index: number): void {
    this.snapshotIndex = index;
  }

  async afterApply(applied: number, confState: ConfState): Promise<void> {
    if (applied - this.snapshotIndex < this.config.snapshotCount) return;
    const started = this.timing?.clock.now();
    const snap = this.storage.createSnapshot(applied, confState, new Uint8Array(0));
    // The snapshot record's batch carries the backend's pending writes (KvWal.carry), so the
    // record is never durable without the applied state at its index under it; compaction below
    // it therefore never drops an entry the backend still needs.
    await this.wal.saveSnapshot(snap.metadata);
    if (started !== undefined) this.timing?.onSaved(((this.timing.clock.now() - started) / 1000));
    this.snapshotIndex = applied;
    const compactTo = applied - this.config.snapshotCatchUpEntries;
    if (compactTo > this.storage.firstIndex()) {
      this.storage.compact(compactTo);
      await this.wal.compact(compactTo);
    }
  }
}
