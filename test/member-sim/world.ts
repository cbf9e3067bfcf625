/**
 * The whole-member simulation's world: members (server + store + raft) on MemoryKvDir disks and a
 * MemoryNetwork, all timers on one ManualClock, every random choice from one seed. Time moves
 * only in `run()`, in 1 ms steps, and between steps every promise and setImmediate settles — so
 * a seed replays the same execution.
 */
import { defaultConfig, type MemberConfig } from '../../src/server/config.js';
import { Member } from '../../src/server/member.js';
import { MemoryDataDir } from '../../src/storage/data-dir.js';
import { MemoryKvDir } from '../../src/storage/memory-kv-dir.js';
import type { PowerLossMode } from '../../src/storage/memory-kv.js';
import { MemoryNetwork } from '../../src/transport/memory-network.js';
import { MemoryTransport } from '../../src/transport/memory-transport.js';
import { ManualClock } from '../../src/util/clock.js';
import { SeededRng } from '../../src/util/rng.js';

export interface WorldOptions {
  readonly seed: number;
  readonly size: number;
  readonly config?: Partial<MemberConfig>;
}

export interface SimMember {
  readonly name: string;
  readonly disk: MemoryKvDir;
  member: Member | undefined;
  /** Memory ID once known (stable across restarts). */
  id: number;
}

const settleOnce = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class World {
  readonly clock = new ManualClock();
  readonly rng: SeededRng;
  readonly network: MemoryNetwork;
  readonly members: SimMember[];
  readonly log: string[] = [];
  private readonly initialCluster: Map<string, string[]>;

  constructor(readonly options: WorldOptions) {
    this.rng = new SeededRng(options.seed);
    this.network = new MemoryNetwork({ rng: this.rng.fork(), schedule: (fn, ms) => void this.clock.setTimeout(fn, Math.max(1, ms)) });
    const names = Array.from({ length: options.size }, (_, i) => `m${i + 1}`);
    this.initialCluster = new Map(names.map((n) => [n, [this.url(n)]]));
    // LevelDB-like disks: a new log every few batches, so a synced write does not settle
    // unsynced batches in the rotated log (docs/architecture.md, "Storage invariant").
    this.members = names.map((name) => ({ name, disk: new MemoryKvDir(name, undefined, { logBatches: 8 }), member: undefined, id: 0 }));
  }

  url(name: string): string {
    return `http://${name}:2380`;
  }

  config(name: string): MemberConfig {
    return {
      ...defaultConfig(name),
      initialCluster: this.initialCluster,
      initialAdvertisePeerUrls: [this.url(name)],
      listenPeerUrls: [this.url(name)],
      heartbeatIntervalMs: 10,
      electionTimeoutMs: 100,
      snapshotCount: 200,
      snapshotCatchUpEntries: 20,
      ...this.options.config,
    };
  }

  note(event: string): void {
    this.log.push(`${String(this.clock.now()).padStart(7)} ${event}`);
    if (process.env.SIM_TRACE) console.error(this.log[this.log.length - 1]);
    if (this.log.length > 400) this.log.splice(0, this.log.length - 200);
  }

  async start(m: SimMember): Promise<void> {
    const dataDir = await MemoryDataDir.open(m.disk);
    m.member = await Member.start({
      config: this.config(m.name),
      dataDir,
      clock: this.clock,
      rng: this.rng.fork(),
      transport: (handler, ids) =>
        new MemoryTransport({ id: ids.memberId, clusterId: ids.clusterId.toString(16), url: this.url(m.name), network: this.network, handler }),
    });
    m.id = m.member.id;
    this.note(`start ${m.name}`);
  }

  /** Power loss: the disk keeps what was synced (and, with 'tear', a prefix of the rest; with 'any', any of the rest). */
  async crash(m: SimMember, mode: PowerLossMode): Promise<void> {
    const member = m.member;
    if (member === undefined) return;
    m.member = undefined;
    const lost = m.disk.powerLoss(mode, this.rng);
    this.note(`crash ${m.name} (${mode}, ${lost} unsynced batches lost)`);
    await this.settle(member.stop().catch(() => undefined));
  }

  async stopAll(): Promise<void> {
    for (const m of this.members) {
      const member = m.member;
      m.member = undefined;
      if (member !== undefined) await this.settle(member.stop().catch(() => undefined));
    }
  }

  live(): SimMember[] {
    return this.members.filter((m) => m.member !== undefined);
  }

  leader(): Member | undefined {
    for (const m of this.live()) if (m.member?.isLeader) return m.member;
    return undefined;
  }

  /** Lets every pending promise and immediate run, without moving time. */
  async flush(): Promise<void> {
    for (let i = 0; i < 4; i++) await settleOnce();
  }

  /** Awaits `p` while letting the simulation's own work settle (no time passes). */
  async settle<T>(p: Promise<T>): Promise<T> {
    let done = false;
    const out = p.finally(() => (done = true));
    for (let i = 0; i < 1000 && !done; i++) await settleOnce();
    return out;
  }

  /** Advances simulated time by `ms`, one millisecond at a time. */
  async run(ms: number): Promise<void> {
    for (let i = 0; i < ms; i++) {
      this.clock.advance(1);
      await this.flush();
    }
  }
}
