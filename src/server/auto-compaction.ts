/**
 * `--auto-compaction-mode/-retention` (etcd's `compactor` package), run on the leader only:
 * - `revision`: every 5 minutes, compact to (current revision − retention).
 * - `periodic`: keep a window of `retention` (hours, or a duration): sample the revision on
 *   every check and compact to the newest sample at least `retention` old. Checks run every
 *   retention/10 for retentions of an hour or more, else every retention, as etcd does.
 * A retention of 0 turns it off.
 */
import type { Clock, Timer } from '../util/clock.js';
import { parseRetentionMs, type AutoCompactionMode } from './config.js';

export const REVISION_MODE_INTERVAL_MS = 5 * 60_000;

export interface AutoCompactionDeps {
  readonly mode: AutoCompactionMode;
  readonly retention: string;
  readonly clock: Clock;
  readonly isLeader: () => boolean;
  readonly currentRevision: () => number;
  readonly compactedRevision: () => number;
  readonly compact: (revision: number) => Promise<unknown>;
  readonly onError?: (err: unknown) => void;
  /** For tests: overrides the check interval. */
  readonly intervalMs?: number;
}

export class AutoCompactor {
  private timer: Timer | undefined;
  private readonly samples: Array<{ at: number; revision: number }> = [];
  private running = false;

  constructor(private readonly d: AutoCompactionDeps) {}

  /** Starts checking; returns false when retention is 0 (off). */
  start(): boolean {
    const interval = this.interval();
    if (interval === undefined) return false;
    this.timer = this.d.clock.setInterval(() => void this.check(), interval);
    return true;
  }

  stop(): void {
    this.timer?.cancel();
  }

  private retentionMs(): number {
    return parseRetentionMs(this.d.retention) ?? 0;
  }

  private interval(): number | undefined {
    if (this.d.mode === 'revision') {
      return Number(this.d.retention) > 0 ? (this.d.intervalMs ?? REVISION_MODE_INTERVAL_MS) : undefined;
    }
    const r = this.retentionMs();
    if (r <= 0) return undefined;
    return this.d.intervalMs ?? (r >= 3_600_000 ? r / 10 : r);
  }

  /** One check (exposed for tests); never overlaps another. */
  async check(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const target = this.target();
      if (target !== undefined && this.d.isLeader() && target > this.d.compactedRevision()) await this.d.compact(target);
    } catch (err) {
      this.d.onError?.(err);
    } finally {
      this.running = false;
    }
  }

  private target(): number | undefined {
    const current = this.d.currentRevision();
    if (this.d.mode === 'revision') {
      const t = current - Number(this.d.retention);
      return t > 0 ? t : undefined;
    }
    const now = this.d.clock.now();
    this.samples.push({ at: now, revision: current });
    const cutoff = now - this.retentionMs();
    let target: number | undefined;
    while (this.samples.length > 0 && (this.samples[0] as { at: number }).at <= cutoff) {
      target = (this.samples.shift() as { revision: number }).revision;
    }
    return target;
  }
}
