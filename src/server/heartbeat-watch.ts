/**
 * etcd's leader heartbeat timeout detector (etcdserver/raft.go, `r.td.Observe(to)`): a heartbeat
 * to a peer sent more than two heartbeat intervals after the previous one to that peer means the
 * leader fell behind (typically a slow disk stalling its loop), which etcd logs and counts as
 * `etcd_server_heartbeat_send_failures_total`. The first heartbeat to a peer only starts the clock.
 */
import type { Message } from '../raft/messages.js';
import type { Clock } from '../util/clock.js';

export class HeartbeatWatch {
  private readonly lastSent = new Map<number, number>();
  private readonly maxGapMs: number;

  constructor(
    private readonly clock: Clock,
    heartbeatIntervalMs: number,
    private readonly onLate: (to: number, gapMs: number) => void,
  ) {
    this.maxGapMs = 2 * heartbeatIntervalMs;
  }

  observe(messages: readonly Message[]): void {
    for (const m of messages) {
      if (m.type !== 'MsgHeartbeat') continue;
      const now = this.clock.now();
      const last = this.lastSent.get(m.to);
      this.lastSent.set(m.to, now);
      if (last !== undefined && now - last > this.maxGapMs) this.onLate(m.to, now - last);
    }
  }

  /** A leader that stepped down (or a peer removed) starts afresh next time. */
  reset(): void {
    this.lastSent.clear();
  }
}
