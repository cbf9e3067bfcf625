/**
 * Finds watch streams whose consumer stopped taking responses (issue 15). etcd buffers for a slow
 * consumer without limit; cairn cancels the watchers of a stream that took nothing for
 * `slowConsumerCancelMs` while responses waited (WatchStream.cancelStalled). It looks only while
 * some stream has a backlog, so an idle hub holds no timer.
 */
import type { Clock, Timer } from '../util/clock.js';
import { MIN_PROGRESS_NOTIFY_INTERVAL_MS } from './watch-types.js';

/** What the monitor needs of a stream. */
export interface StallableStream {
  stalledForMs(now: number): number;
  cancelStalled(): void;
}

export class StallMonitor {
  private readonly backlogged = new Set<StallableStream>();
  private timer: Timer | undefined;
  private closed = false;

  constructor(private readonly clock: Clock, private readonly boundMs: number) {}

  /** A stream's buffer went from empty to holding something (true) or back (false). */
  backlogChanged(stream: StallableStream, backlogged: boolean): void {
    if (backlogged) {
      this.backlogged.add(stream);
      this.arm();
      return;
    }
    this.forget(stream);
  }

  forget(stream: StallableStream): void {
    this.backlogged.delete(stream);
    if (this.backlogged.size === 0) this.disarm();
  }

  close(): void {
    this.closed = true;
    this.disarm();
  }

  /** Checked four times per bound: a stalled stream is canceled between 1 and 1.25 bounds. */
  private arm(): void {
    if (this.closed || this.timer !== undefined) return;
    const every = Math.max(MIN_PROGRESS_NOTIFY_INTERVAL_MS, Math.ceil(this.boundMs / 4));
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.check();
    }, every);
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private check(): void {
    const now = this.clock.now();
    for (const stream of [...this.backlogged]) {
      if (stream.stalledForMs(now) >= this.boundMs) stream.cancelStalled();
    }
    if (this.backlogged.size > 0) this.arm();
  }
}
