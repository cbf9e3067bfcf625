/**
 * Real time enters cairn only through a Clock (DESIGN.md). The member uses SystemClock; the
 * simulator and tests use ManualClock, which fires timers only when advanced.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds on a monotonic scale (not wall time). */
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  setInterval(fn: () => void, ms: number): Timer;
}

export class SystemClock implements Clock {
  now(): number {
    return performance.now();
  }
  setTimeout(fn: () => void, ms: number): Timer {
    const handle = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(handle) };
  }
  setInterval(fn: () => void, ms: number): Timer {
    const handle = setInterval(fn, ms);
    return { cancel: () => clearInterval(handle) };
  }
}

interface ManualTimer {
  id: number;
  at: number;
  every: number | undefined;
  fn: () => void;
  cancelled: boolean;
}

export class ManualClock implements Clock {
  private time = 0;
  private nextId = 0;
  private timers: ManualTimer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.schedule(fn, ms, undefined);
  }

  setInterval(fn: () => void, ms: number): Timer {
    return this.schedule(fn, ms, Math.max(1, ms));
  }

  /** Moves time forward by `ms`, firing due timers in time order (ties in creation order). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.nextDue(end);
      if (due === undefined) break;
      this.time = due.at;
      if (due.every === undefined) {
        due.cancelled = true;
      } else {
        due.at += due.every;
      }
      due.fn();
    }
    this.timers = this.timers.filter((t) => !t.cancelled);
    this.time = end;
  }

  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  private schedule(fn: () => void, ms: number, every: number | undefined): Timer {
    const timer: ManualTimer = { id: this.nextId++, at: this.time + Math.max(0, ms), every, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  private nextDue(end: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers) {
      if (t.cancelled || t.at > end) continue;
      if (best === undefined || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t;
    }
    return best;
  }
}
