/**
 * etcd's monitorLeader (v3rpc/interceptor.go): every election timeout the member checks for a
 * leader; after 3 checks in a row without one, every open stream that asked for a leader
 * (`hasleader: true` metadata: etcdctl's watch and keep-alive, clientv3's WithRequireLeader)
 * ends with 14 `etcdserver: no leader`, so its client moves to a member that has one. etcd
 * waits that long because reconnecting streams costs more than refusing new requests, which
 * requireLeader (calls.ts) does at once.
 */
import { KvError } from '../util/errors.js';

/** etcd's maxNoLeaderCnt. */
export const NO_LEADER_CHECKS = 3;

export class LeaderMonitor {
  private readonly streams = new Set<(err: KvError) => void>();
  private readonly timer: NodeJS.Timeout;
  private checksWithoutLeader = 0;
  private checking = false;

  constructor(
    private readonly hasLeader: () => Promise<boolean>,
    electionTimeoutMs: number,
  ) {
    this.timer = setInterval(() => void this.check(), electionTimeoutMs);
    this.timer.unref();
  }

  /** Registers a stream's way to end itself; the returned function unregisters it. */
  track(end: (err: KvError) => void): () => void {
    this.streams.add(end);
    return () => this.streams.delete(end);
  }

  get tracked(): number {
    return this.streams.size;
  }

  stop(): void {
    clearInterval(this.timer);
    this.streams.clear();
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const leader = await this.hasLeader().catch(() => false);
      this.checksWithoutLeader = leader ? 0 : this.checksWithoutLeader + 1;
      if (this.checksWithoutLeader < NO_LEADER_CHECKS) return;
      const ends = [...this.streams];
      this.streams.clear();
      for (const end of ends) end(new KvError('NoLeader'));
    } finally {
      this.checking = false;
    }
  }
}
