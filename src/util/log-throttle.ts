/**
 * Throttles a log line about an event that a flood can repeat (a connection refused over a
 * limit): the first is logged at once, then at most one line per interval carrying the count, so
 * a flood costs a few lines instead of one per event and the operator still sees its size.
 */
export interface ThrottledCounts {
  /** Events since the last line (this one included). */
  readonly since: number;
  /** Events in all. */
  readonly total: number;
}

export class LogThrottle {
  private total = 0;
  private unlogged = 0;
  private loggedAt = -Infinity;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  /** Notes one event; returns the counts when a line is due, undefined to stay quiet. */
  note(): ThrottledCounts | undefined {
    this.total++;
    this.unlogged++;
    const now = this.now();
    if (now - this.loggedAt < this.intervalMs) return undefined;
    const counts = { since: this.unlogged, total: this.total };
    this.unlogged = 0;
    this.loggedAt = now;
    return counts;
  }
}
