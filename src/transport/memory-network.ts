/**
 * The hub in-process transports register with: it maps peer URLs to transports and holds the
 * fault switches member tests flip (cut links, isolate a member, drop a fraction of messages,
 * delay them, or hold them until released). Delivery is always asynchronous, through `schedule`
 * (setImmediate / setTimeout by default; a test passes its own to control time).
 */
import type { NodeId } from '../raft/types.js';
import { SeededRng, type Rng } from '../util/rng.js';

/** What the network needs from a registered transport. */
export interface MemoryEndpoint {
  readonly id: NodeId;
}

export type Schedule = (fn: () => void, delayMs: number) => void;

export const defaultSchedule: Schedule = (fn, delayMs) => {
  if (delayMs <= 0) setImmediate(fn);
  else setTimeout(fn, delayMs);
};

export interface MemoryNetworkOptions {
  readonly schedule?: Schedule;
  /** Decides which messages `drop()` loses; seeded so a failing test replays. */
  readonly rng?: Rng;
}

type LinkKey = `${NodeId}->${NodeId}`;

function key(from: NodeId, to: NodeId): LinkKey {
  return `${from}->${to}`;
}

export class MemoryNetwork {
  readonly schedule: Schedule;
  private readonly rng: Rng;
  private readonly endpoints = new Map<string, MemoryEndpoint>();
  private readonly cuts = new Set<LinkKey>();
  private readonly isolated = new Set<NodeId>();
  private readonly dropRates = new Map<LinkKey, number>();
  private readonly delays = new Map<LinkKey, number>();
  private readonly held = new Map<LinkKey, (() => void)[]>();

  constructor(options: MemoryNetworkOptions = {}) {
    this.schedule = options.schedule ?? defaultSchedule;
    this.rng = options.rng ?? new SeededRng(1);
  }

  register(url: string, endpoint: MemoryEndpoint): void {
    const existing = this.endpoints.get(url);
    if (existing !== undefined && existing !== endpoint) throw new Error(`address in use: ${url}`);
    this.endpoints.set(url, endpoint);
  }

  unregister(url: string, endpoint: MemoryEndpoint): void {
    if (this.endpoints.get(url) === endpoint) this.endpoints.delete(url);
  }

  lookup(url: string): MemoryEndpoint | undefined {
    return this.endpoints.get(url);
  }

  /** Messages between a and b fail as if the connection were refused (both ways unless oneWay). */
  cut(a: NodeId, b: NodeId, oneWay = false): void {
    this.cuts.add(key(a, b));
    if (!oneWay) this.cuts.add(key(b, a));
  }

  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  /** Silently loses this fraction (0..1) of messages from → to. */
  drop(from: NodeId, to: NodeId, rate: number): void {
    this.dropRates.set(key(from, to), rate);
  }

  delay(from: NodeId, to: NodeId, ms: number): void {
    this.delays.set(key(from, to), ms);
  }

  /** Stops delivery from → to without failing it: messages wait until `release` (or `heal`). */
  hold(from: NodeId, to: NodeId): void {
    if (!this.held.has(key(from, to))) this.held.set(key(from, to), []);
  }

  release(from: NodeId, to: NodeId): void {
    const waiting = this.held.get(key(from, to));
    this.held.delete(key(from, to));
    waiting?.forEach((deliver) => this.schedule(deliver, this.delays.get(key(from, to)) ?? 0));
  }

  /** Clears every fault; held messages are delivered. */
  heal(): void {
    this.cuts.clear();
    this.isolated.clear();
    this.dropRates.clear();
    this.delays.clear();
    for (const link of [...this.held.keys()]) {
      const [from, to] = link.split('->').map(Number) as [number, number];
      this.release(from, to);
    }
  }

  isConnected(from: NodeId, to: NodeId): boolean {
    return !this.cuts.has(key(from, to)) && !this.isolated.has(from) && !this.isolated.has(to);
  }

  /** Runs `deliver` later unless the link drops it; returns false when it was dropped. */
  carry(from: NodeId, to: NodeId, deliver: () => void): boolean {
    const rate = this.dropRates.get(key(from, to)) ?? 0;
    if (rate > 0 && this.rng.next() < rate) return false;
    const held = this.held.get(key(from, to));
    if (held !== undefined) held.push(deliver);
    else this.schedule(deliver, this.delays.get(key(from, to)) ?? 0);
    return true;
  }
}
