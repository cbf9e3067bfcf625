/**
 * A synchronous in-process network of TestNodes (etcd-io/raft `raft_test.go` network): send()
 * delivers messages until the system is quiet. Faults: cut links, isolate nodes, drop by
 * type or with a probability, duplicate and reorder — all from a seeded Rng.
 */
import { isKvError } from '../../src/util/errors.js';
import type { Message, MessageType } from '../../src/raft/messages.js';
import type { NodeId } from '../../src/raft/types.js';
import { SeededRng } from '../../src/util/rng.js';
import { newStorage, te, TestNode, type NodeOptions } from './harness.js';

export interface NetworkOptions extends NodeOptions {
  /** Learners, besides the voters given to the constructor. */
  learners?: NodeId[];
  netSeed?: number;
  /** Per-node overrides. */
  perNode?: Record<number, NodeOptions>;
}

export class Network {
  readonly nodes = new Map<NodeId, TestNode>();
  private readonly cutLinks = new Set<string>();
  private readonly dropRates = new Map<string, number>();
  private readonly ignored = new Set<MessageType>();
  duplicateRate = 0;
  reorderRate = 0;
  private readonly rng: SeededRng;
  /** Every message delivered, for assertions. */
  readonly delivered: Message[] = [];
  /** Called after every delivery (invariant checks in tests). */
  afterDeliver: ((m: Message) => void) | undefined;
  /** Safety valve: a test network that never quiets down is a bug in the test or the core. */
  maxDeliveries = 100_000;

  constructor(voters: NodeId[], options: NetworkOptions = {}) {
    const { learners = [], netSeed = 1, perNode = {}, ...nodeOptions } = options;
    this.rng = new SeededRng(netSeed);
    for (const id of [...voters, ...learners]) {
      this.nodes.set(id, new TestNode(id, newStorage(voters, learners), { ...nodeOptions, ...perNode[id] }));
    }
  }

  node(id: NodeId): TestNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  cut(a: NodeId, b: NodeId): void {
    this.cutLinks.add(`${a}-${b}`);
    this.cutLinks.add(`${b}-${a}`);
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cut(id, other);
  }

  /** Drops messages from → to with probability p (seeded). */
  drop(from: NodeId, to: NodeId, p: number): void {
    this.dropRates.set(`${from}-${to}`, p);
  }

  ignore(type: MessageType): void {
    this.ignored.add(type);
  }

  recover(): void {
    this.cutLinks.clear();
    this.dropRates.clear();
    this.ignored.clear();
    this.duplicateRate = 0;
    this.reorderRate = 0;
  }

  private passes(m: Message): boolean {
    const key = `${m.from}-${m.to}`;
    if (this.cutLinks.has(key) || this.ignored.has(m.type)) return false;
    const p = this.dropRates.get(key) ?? 0;
    return p === 0 || this.rng.next() >= p;
  }

  /** Delivers msgs and everything they cause until quiet. */
  send(...msgs: Message[]): void {
    const queue: Message[] = [];
    const enqueue = (ms: Message[]): void => {
      for (const m of ms) {
        if (!this.passes(m)) continue;
        queue.push(m);
        if (this.duplicateRate > 0 && this.rng.next() < this.duplicateRate) queue.push(m);
      }
    };
    // The caller's own messages (proposals, hups, replays) are delivered once.
    queue.push(...msgs.filter((m) => this.passes(m)));
    // Anything already pending in the nodes (e.g. after a tick) goes out too.
    for (const n of this.nodes.values()) enqueue(n.process());
    let deliveries = 0;
    while (queue.length > 0) {
      if (++deliveries > this.maxDeliveries) throw new Error('network did not quiesce');
      let i = 0;
      if (this.reorderRate > 0 && queue.length > 1 && this.rng.next() < this.reorderRate) i = this.rng.int(queue.length);
      const m = queue.splice(i, 1)[0] as Message;
      const node = this.nodes.get(m.to);
      if (!node) continue;
      this.delivered.push(m);
      try {
        node.step(m);
      } catch (err) {
        if (!isKvError(err, 'ProposalDropped')) throw err;
      }
      enqueue(node.process());
      this.afterDeliver?.(m);
    }
  }

  campaign(id: NodeId): void {
    this.send({ type: 'MsgHup', from: id, to: id, term: 0 });
  }

  propose(id: NodeId, data: string): void {
    this.send({ type: 'MsgProp', from: id, to: id, term: 0, entries: [{ term: 0, index: 0, type: 'normal', data: te.encode(data) }] });
  }

  /** Ticks the node n times, then delivers whatever that caused. */
  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) this.node(id).rn.tick();
    this.send();
  }

  /** Ticks every node until its election timer fires (randomized), delivering after each round. */
  tickAll(n: number): void {
    for (let i = 0; i < n; i++) {
      for (const node of this.nodes.values()) node.rn.tick();
      this.send();
    }
  }

  leader(): NodeId | undefined {
    for (const [id, n] of this.nodes) if (n.raft.state === 'leader') return id;
    return undefined;
  }

  /** Crash and restart one node from its storage. */
  restart(id: NodeId): void {
    this.node(id).restart();
  }
}
