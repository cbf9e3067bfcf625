/**
 * A seeded, deterministic message network for simulations (TigerBeetle's packet simulator in
 * miniature): every send may be dropped, duplicated, delayed or reordered, links can be cut both
 * ways (partitions) or one way, and the queue is bounded (overflow drops a random packet). Like
 * cairn's transport (one stream per peer pair) a link is FIFO except for the `reorderRate`
 * share of packets, which ignore the order (a reconnect, a retransmission). It knows nothing
 * about Raft: any message with `from`/`to` node ids travels.
 */
import type { Rng } from '../../src/util/rng.js';
import { MinHeap } from './heap.js';

export interface Addressed {
  readonly from: number;
  readonly to: number;
}

export interface LinkFaults {
  /** Probability a send is lost. */
  dropRate: number;
  /** Probability a send is delivered twice (the copy gets its own delay). */
  dupRate: number;
  /** Probability a packet may overtake earlier ones on its link (otherwise links are FIFO). */
  reorderRate: number;
  /** Delay = minDelay + exponential(meanExtraDelay), capped at maxDelay (in simulated time units). */
  minDelay: number;
  meanExtraDelay: number;
  maxDelay: number;
}

export const HEALTHY_LINKS: LinkFaults = Object.freeze({
  dropRate: 0,
  dupRate: 0,
  reorderRate: 0,
  minDelay: 0.05,
  meanExtraDelay: 0.1,
  maxDelay: 0.5,
});

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  cut: number;
  overflow: number;
}

interface InFlight<M> {
  readonly time: number;
  readonly seq: number;
  readonly msg: M;
}

export class SimNetwork<M extends Addressed> {
  private readonly queue = new MinHeap<InFlight<M>>();
  private readonly blocked = new Set<string>();
  /** Latest scheduled delivery per link, to keep links FIFO. */
  private readonly linkTail = new Map<string, number>();
  private seq = 0;
  faults: LinkFaults = { ...HEALTHY_LINKS };
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, cut: 0, overflow: 0 };

  /** Told about every packet the network loses (a transport would see the send fail). */
  onLost: ((msg: M) => void) | undefined;

  constructor(
    private readonly rng: Rng,
    /** Bound on packets in flight; beyond it a random send is lost (a full socket buffer). */
    private readonly capacity = 4096,
  ) {}

  get inFlight(): number {
    return this.queue.size;
  }

  isBlocked(from: number, to: number): boolean {
    return this.blocked.has(`${from}>${to}`);
  }

  /** Cuts from→to only (an asymmetric partition). */
  cutOneWay(from: number, to: number): void {
    this.blocked.add(`${from}>${to}`);
  }

  cutBothWays(a: number, b: number): void {
    this.cutOneWay(a, b);
    this.cutOneWay(b, a);
  }

  /** Symmetric partition: nodes in different groups cannot talk; links inside a group are kept. */
  partition(groups: readonly (readonly number[])[]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i] ?? []) for (const b of groups[j] ?? []) this.cutOneWay(a, b);
      }
    }
  }

  isolate(id: number, others: readonly number[]): void {
    for (const o of others) if (o !== id) this.cutBothWays(id, o);
  }

  heal(): void {
    this.blocked.clear();
  }

  /** Queues `msg` for delivery at `now + delay`; returns how many copies were queued (0–2). */
  send(msg: M, now: number): number {
    this.stats.sent++;
    if (this.isBlocked(msg.from, msg.to)) {
      this.stats.cut++;
      this.onLost?.(msg);
      return 0;
    }
    if (this.rng.next() < this.faults.dropRate) {
      this.stats.dropped++;
      this.onLost?.(msg);
      return 0;
    }
    let copies = 1;
    if (this.rng.next() < this.faults.dupRate) {
      copies = 2;
      this.stats.duplicated++;
    }
    const link = `${msg.from}>${msg.to}`;
    for (let i = 0; i < copies; i++) {
      let time = now + this.delay();
      if (i === 0 && !(this.rng.next() < this.faults.reorderRate)) {
        time = Math.max(time, this.linkTail.get(link) ?? 0);
        this.linkTail.set(link, time);
      }
      this.enqueue(msg, time);
    }
    return copies;
  }

  /** The next packet due at or before `until`, if any; a link cut meanwhile drops it. */
  nextDue(until: number): { msg: M; time: number } | undefined {
    for (;;) {
      const head = this.queue.peek();
      if (head === undefined || head.time > until) return undefined;
      this.queue.pop();
      if (this.isBlocked(head.msg.from, head.msg.to)) {
        this.stats.cut++;
        this.onLost?.(head.msg);
        continue;
      }
      this.stats.delivered++;
      return { msg: head.msg, time: head.time };
    }
  }

  nextTime(): number | undefined {
    return this.queue.peek()?.time;
  }

  /** Drops every packet to or from `id` (used when tests want a clean slate for a node). */
  purge(id: number): number {
    return this.queue.removeWhere((p) => {
      const hit = p.msg.from === id || p.msg.to === id;
      if (hit) this.onLost?.(p.msg);
      return hit;
    });
  }

  private delay(): number {
    const f = this.faults;
    const extra = -Math.log(1 - this.rng.next()) * f.meanExtraDelay;
    return Math.min(f.maxDelay, f.minDelay + extra);
  }

  private enqueue(msg: M, time: number): void {
    if (this.queue.size >= this.capacity) {
      this.stats.overflow++;
      // Drop a random packet rather than refuse the new one: overflow hits old and new alike.
      const victim = this.rng.int(this.queue.size);
      let i = 0;
      this.queue.removeWhere((p) => {
        const hit = i++ === victim;
        if (hit) this.onLost?.(p.msg);
        return hit;
      });
    }
    this.queue.push({ time, seq: this.seq++, msg });
  }
}
