/**
 * A hand-driven cluster for scenario and pitfall tests (etcd-io/raft's `network` in
 * raft_test.go): messages wait in a FIFO until delivered; links can be cut; a filter can hold
 * or drop chosen messages (a slow follower). Every node runs the simulator's SimNode, so each
 * script is also checked for Raft's safety properties and for persist-before-reply.
 */
import type { Message, MessageType } from '../../../src/raft/messages.js';
import type { ConfChangeV2, Entry } from '../../../src/raft/types.js';
import { SeededRng } from '../../../src/util/rng.js';
import { bootstrapState, emptyDurableState } from '../crashy-storage.js';
import type { DurableRaftState } from '../crashy-storage.js';
import { SafetyChecker } from './safety-checker.js';
import { SimNode } from './sim-node.js';
import type { NodeOptions } from './sim-node.js';

export interface ScriptedOptions {
  voters: number[];
  learners?: number[];
  seed?: number;
  options?: Partial<NodeOptions>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class ScriptedCluster {
  readonly checker = new SafetyChecker();
  readonly hosts = new Map<number, SimNode>();
  /** Every message ever sent, for assertions (bounded by the test's length). */
  readonly sent: Message[] = [];
  readonly events: string[] = [];
  /** Return 'drop' or 'hold' to intercept a message at send time; held ones wait in `held`. */
  filter: ((m: Message) => 'pass' | 'drop' | 'hold') | undefined;
  readonly held: Message[] = [];
  /** ReadIndex answers: context → index. */
  readonly reads = new Map<string, number>();
  /** Normal entries applied per node, as strings (empty entries skipped). */
  readonly applied = new Map<number, string[]>();
  private queue: Message[] = [];
  private readonly cut = new Set<string>();
  private readonly rng: SeededRng;
  private readonly nodeOptions: NodeOptions;

  constructor(opts: ScriptedOptions) {
    this.rng = new SeededRng(opts.seed ?? 1);
    this.nodeOptions = { electionTick: 10, heartbeatTick: 1, ...opts.options };
    const boot = bootstrapState(opts.voters, opts.learners ?? []);
    for (const id of [...opts.voters, ...(opts.learners ?? [])]) this.addHost(id, boot);
    // Apply the bootstrap configuration (a node with unapplied conf changes may not campaign).
    for (const h of this.hosts.values()) h.drain();
    this.deliverAll();
  }

  /** A blank node (no state at all): what a newly added member starts as. */
  addBlank(id: number): SimNode {
    return this.addHost(id, emptyDurableState());
  }

  private addHost(id: number, initial: DurableRaftState): SimNode {
    this.applied.set(id, []);
    const h = new SimNode(id, initial, this.rng.fork(), this.nodeOptions, this.checker, {
      send: (m) => this.send(m),
      log: (line) => this.events.push(line),
      applied: (node, e) => this.onApplied(node, e),
      crashMidReady: () => false,
      readState: (_node, ctx, index) => this.reads.set(ctx, index),
    });
    this.hosts.set(id, h);
    return h;
  }

  node(id: number): SimNode {
    const h = this.hosts.get(id);
    if (h === undefined) throw new Error(`no node ${id}`);
    return h;
  }

  raw(id: number): NonNullable<SimNode['raw']> {
    const r = this.node(id).raw;
    if (r === undefined) throw new Error(`node ${id} is down`);
    return r;
  }

  private onApplied(node: number, e: Entry): void {
    if (e.type === 'normal' && e.data.length > 0) this.applied.get(node)?.push(dec.decode(e.data));
  }

  private send(m: Message): void {
    this.sent.push(m);
    const verdict = this.filter?.(m) ?? 'pass';
    if (verdict === 'drop') return;
    if (verdict === 'hold') this.held.push(m);
    else this.queue.push(m);
  }

  /** Delivers queued messages (and what they cause) until quiet; returns how many were delivered. */
  deliverAll(limit = 100_000): number {
    let n = 0;
    while (this.queue.length > 0) {
      if (n++ > limit) throw new Error('deliverAll: the cluster did not quiesce');
      const m = this.queue.shift() as Message;
      this.deliver(m);
    }
    return n;
  }

  deliver(m: Message): void {
    if (this.cut.has(`${m.from}>${m.to}`)) return;
    const dest = this.hosts.get(m.to);
    if (dest?.raw === undefined || dest.retired) return;
    dest.raw.step(m);
    dest.drain();
    if (m.type === 'MsgSnap') {
      const from = this.hosts.get(m.from);
      if (from?.raw !== undefined) {
        from.raw.reportSnapshot(m.to, 'finish');
        from.drain();
      }
    }
  }

  /** Moves held messages (optionally only those to `to`) back into the queue. */
  release(to?: number): void {
    const keep: Message[] = [];
    for (const m of this.held) (to === undefined || m.to === to ? this.queue : keep).push(m);
    this.held.length = 0;
    this.held.push(...keep);
  }

  /** Drops everything queued (messages lost in flight). */
  dropQueued(): number {
    const n = this.queue.length;
    this.queue = [];
    return n;
  }

  queued(type?: MessageType): Message[] {
    return type === undefined ? [...this.queue] : this.queue.filter((m) => m.type === type);
  }

  isolate(id: number): void {
    for (const o of this.hosts.keys()) {
      if (o === id) continue;
      this.cut.add(`${id}>${o}`);
      this.cut.add(`${o}>${id}`);
    }
  }

  cutOneWay(from: number, to: number): void {
    this.cut.add(`${from}>${to}`);
  }

  heal(): void {
    this.cut.clear();
  }

  tick(id: number, n = 1): void {
    for (let i = 0; i < n; i++) {
      const h = this.node(id);
      h.raw?.tick();
      h.drain();
    }
  }

  /** Ticks every up node `n` times, delivering messages after each round. */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const h of this.hosts.values()) {
        if (h.raw === undefined || h.retired) continue;
        h.raw.tick();
        h.drain();
      }
      this.deliverAll();
    }
  }

  campaign(id: number): void {
    this.raw(id).campaign();
    this.node(id).drain();
    this.deliverAll();
  }

  /** Proposes `data` at `id` (dropped proposals return false) and delivers. */
  propose(id: number, data: string, deliver = true): boolean {
    const ok = this.node(id).propose(enc.encode(data));
    this.node(id).drain();
    if (deliver) this.deliverAll();
    return ok;
  }

  proposeConf(id: number, cc: ConfChangeV2, deliver = true): void {
    this.raw(id).proposeConfChange(cc);
    this.node(id).drain();
    if (deliver) this.deliverAll();
  }

  crash(id: number): void {
    this.node(id).crash(this.rng);
  }

  restart(id: number): void {
    this.node(id).start();
    this.node(id).drain();
  }

  /** The application snapshots at its applied index and compacts the log up to `compactTo`. */
  snapshot(id: number, compactTo?: number): number {
    const h = this.node(id);
    const idx = h.app.appliedIndex;
    h.storage.saveAppSnapshot(idx, h.app.confState, h.app.snapshotData(), compactTo ?? idx);
    return idx;
  }

  leaders(): number[] {
    return [...this.hosts.values()].filter((h) => h.isLeader).map((h) => h.id);
  }

  leader(): number {
    const ls = this.leaders();
    if (ls.length !== 1) throw new Error(`expected one leader, have [${ls.join(',')}]`);
    return ls[0] as number;
  }

  /** Elects `id` by campaigning and delivering until quiet. */
  elect(id: number): void {
    this.campaign(id);
    if (!this.node(id).isLeader) throw new Error(`node ${id} did not become leader:\n${this.events.slice(-20).join('\n')}`);
    this.deliverAll();
  }

  sentOf(type: MessageType, to?: number): Message[] {
    return this.sent.filter((m) => m.type === type && (to === undefined || m.to === to));
  }
}

export const EMPTY_CTX = new Uint8Array(0);

export function cc(transition: ConfChangeV2['transition'], ...changes: [ConfChangeV2['changes'][number]['type'], number][]): ConfChangeV2 {
  return { transition, changes: changes.map(([type, nodeId]) => ({ type, nodeId })), context: EMPTY_CTX };
}
