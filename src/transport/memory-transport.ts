/**
 * The in-process twin of TcpTransport for member tests: same contract, same handshake checks,
 * same bounded per-peer queue (messages count against it until delivered), and every batch goes
 * through the real codec and validator, so members never share mutable objects and a message
 * that would not survive the wire does not survive here either.
 */
import type { Message } from '../raft/messages.js';
import type { NodeId } from '../raft/types.js';
import { assert } from '../util/assert.js';
import { KvError } from '../util/errors.js';
import { ChunkQueue, boundedChunks, bytesStream } from './chunk-queue.js';
import { FrameError, decodePayload, encodePayload } from './codec.js';
import { decodeFrame, validateFrame } from './frames.js';
import {
  answerJoinQuery, checkHello, helloFrame, joinFrame, refusalError, type JoinAnswer, type LocalIdentity, type PeerHandler, type Refusal,
} from './handshake.js';
import type { MemoryNetwork } from './memory-network.js';
import { estimateBytes } from './message-queue.js';
import { PeerCounters } from './peer-counters.js';
import {
  DEFAULT_LIMITS,
  type MsgSnap,
  type PeerStats,
  type Transport,
  type TransportLimits,
  type TransportLog,
  type TransportStats,
} from './transport.js';
import { isLocalType } from './validate.js';

export interface MemoryTransportOptions {
  readonly id: NodeId;
  readonly clusterId: string;
  /** This member's peer URL on the network (any string; peers list it in addPeer). */
  readonly url: string;
  readonly network: MemoryNetwork;
  readonly handler: PeerHandler;
  readonly limits?: Partial<TransportLimits>;
  readonly log?: TransportLog;
}

interface MemoryPeer {
  urls: string[];
  readonly counters: PeerCounters;
  outbox: Message[];
  inflightMessages: number;
  inflightBytes: number;
  active: boolean;
}

export class MemoryTransport implements Transport {
  readonly id: NodeId;
  private readonly self: LocalIdentity;
  private readonly limits: TransportLimits;
  private readonly log: TransportLog;
  private readonly peers = new Map<NodeId, MemoryPeer>();
  private readonly received = new Map<NodeId, { bytes: number; messages: number }>();
  private started = false;
  private stopped = false;
  private flushScheduled = false;
  private unreachable = new Set<NodeId>();
  private malformedFrames = 0;
  private refusedConnections = 0;
  private lastInboundError: KvError | undefined;

  constructor(private readonly o: MemoryTransportOptions) {
    this.id = o.id;
    this.self = { id: o.id, clusterId: o.clusterId };
    this.limits = { ...DEFAULT_LIMITS, ...o.limits };
    this.log = o.log ?? (() => {});
  }

  get url(): string {
    return this.o.url;
  }

  async start(): Promise<void> {
    assert(!this.started && !this.stopped, 'transport started twice');
    this.o.network.register(this.o.url, this);
    this.started = true;
  }

  addPeer(id: NodeId, urls: readonly string[]): void {
    assert(id !== this.id, 'a member is not its own peer');
    if (this.stopped || this.peers.has(id)) return;
    this.peers.set(id, { urls: [...urls], counters: new PeerCounters(id, this.log), outbox: [], inflightMessages: 0, inflightBytes: 0, active: false });
  }

  updatePeer(id: NodeId, urls: readonly string[]): void {
    const peer = this.peers.get(id);
    if (peer) peer.urls = [...urls];
  }

  removePeer(id: NodeId): void {
    this.peers.delete(id);
    this.received.delete(id);
  }

  send(messages: readonly Message[]): void {
    for (const msg of messages) {
      assert(!isLocalType(msg.type), () => `${msg.type} is local to a member and never sent`);
      if (msg.type === 'MsgSnap') {
        void this.sendSnapshot({ ...msg, snapshot: { ...msg.snapshot, data: new Uint8Array(0) } }, bytesStream(msg.snapshot.data));
        continue;
      }
      const peer = this.peers.get(msg.to);
      const size = estimateBytes(msg);
      if (
        peer === undefined ||
        this.stopped ||
        peer.inflightMessages >= this.limits.maxQueuedMessages ||
        peer.inflightBytes + size > this.limits.maxQueuedBytes
      ) {
        if (peer) peer.counters.droppedMessages++;
        this.reportUnreachable(msg.to);
        continue;
      }
      peer.inflightMessages++;
      peer.inflightBytes += size;
      peer.outbox.push(msg);
    }
    if (!this.flushScheduled && !this.stopped) {
      this.flushScheduled = true;
      this.o.network.schedule(() => this.flush(), 0);
    }
  }

  async sendSnapshot(msg: MsgSnap, data: AsyncIterable<Uint8Array>): Promise<boolean> {
    const peer = this.peers.get(msg.to);
    const target = peer && this.connect(msg.to, peer, 'snapshot');
    let ok = false;
    if (target === undefined) {
      await data[Symbol.asyncIterator]().return?.();
    } else {
      const result = await target.receiveSnapshot(this.id, this.copy(msg), data);
      ok = result === undefined;
      if (peer && result) peer.counters.noteError(result);
    }
    if (!this.stopped) this.o.handler.onSnapshotStatus(msg.to, ok);
    return ok;
  }

  stats(): TransportStats {
    const peers: PeerStats[] = [];
    for (const [id, peer] of this.peers) {
      const s = peer.counters.snapshot(peer.urls, peer.active, peer.inflightMessages, peer.inflightBytes);
      const r = this.received.get(id);
      peers.push({ ...s, receivedBytes: r?.bytes ?? 0, receivedMessages: r?.messages ?? 0 });
    }
    return { peers, malformedFrames: this.malformedFrames, refusedConnections: this.refusedConnections, lastInboundError: this.lastInboundError };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.o.network.unregister(this.o.url, this);
  }

  /**
   * Delivers a raw frame payload as if `from` had sent it on an accepted raft stream (tests use
   * this to feed garbage). Bad frames are counted and dropped like a TCP connection would be.
   */
  receivePayload(from: NodeId, payload: Uint8Array): void {
    if (this.stopped) return;
    try {
      const frame = decodeFrame(payload);
      if (frame.k !== 'msgs') throw new FrameError(`protocol error: unexpected ${frame.k} frame on a raft stream`);
      for (const m of frame.msgs) {
        if (m.from !== from || m.to !== this.id) throw new FrameError(`protocol error: message from ${m.from.toString(16)} to ${m.to.toString(16)} on a stream from ${from.toString(16)}`);
      }
      const r = this.received.get(from) ?? { bytes: 0, messages: 0 };
      r.bytes += payload.length + 4;
      r.messages += frame.msgs.length;
      if (this.peers.has(from)) this.received.set(from, r);
      if (frame.msgs.length > 0) this.o.handler.onMessages([...frame.msgs]);
    } catch (err) {
      if (!(err instanceof KvError)) throw err;
      this.malformedFrames++;
      this.noteInbound(err);
    }
  }

  /** The listener side of the handshake; returns the refusal (already counted) or undefined. */
  accept(hello: ReturnType<typeof helloFrame>): Refusal | undefined {
    const refusal: Refusal | undefined = this.stopped
      ? { reason: 'stopped', message: `cairn: member ${this.id.toString(16)} is stopped` }
      : checkHello(hello, this.self, (id) => this.peers.has(id), (id) => this.o.handler.isRemoved?.(id) === true);
    if (refusal === undefined) return undefined;
    this.refusedConnections++;
    this.noteInbound(refusalError(refusal));
    return refusal;
  }

  /** The listener side of a join query, through the codec as on the wire. */
  answerJoin(peerUrls: readonly string[]): JoinAnswer {
    const query = validateFrame(decodePayload(encodePayload(joinFrame(peerUrls))));
    assert(query.k === 'join', 'join query survives the codec');
    const answer = validateFrame(decodePayload(encodePayload(answerJoinQuery(query, this.self, this.o.handler, this.stopped))));
    if (answer.k === 'refuse') throw refusalError(answer);
    if (answer.k !== 'joinInfo') throw new FrameError(`member ${this.id.toString(16)} answered a join query with ${answer.k}`);
    return { clusterId: answer.clusterId, memberId: answer.memberId, members: answer.members };
  }

  /** Receives a snapshot; resolves undefined when applied, or the error the sender sees. */
  async receiveSnapshot(from: NodeId, msg: MsgSnap, data: AsyncIterable<Uint8Array>): Promise<KvError | undefined> {
    let resume: (() => void) | undefined;
    let paused: Promise<void> | undefined;
    const queue = new ChunkQueue({
      highWater: this.limits.snapshotBufferedChunks,
      pause: () => (paused = new Promise((r) => (resume = r))),
      resume: () => {
        paused = undefined;
        resume?.();
      },
    });
    let finished = false;
    const feeding = (async () => {
      try {
        for await (const chunk of boundedChunks(data, this.limits.snapshotChunkBytes)) {
          if (finished) return;
          if (this.stopped) throw new KvError('TimeoutDueToConnectionLost', `cairn: member ${this.id.toString(16)} stopped during the snapshot`);
          queue.push(chunk.slice());
          if (paused) await paused;
        }
        queue.end();
      } catch (err) {
        queue.fail(err instanceof Error ? err : new Error(String(err)));
      }
    })();
    let verdict: KvError | undefined;
    try {
      await this.o.handler.onSnapshot(msg, queue);
    } catch (err) {
      verdict = new KvError('Canceled', `cairn: peer ${this.id.toString(16)} refused the snapshot: ${(err as Error).message}`);
    }
    finished = true;
    queue.fail(new KvError('Canceled', 'cairn: snapshot handler finished before the stream ended'));
    resume?.();
    await feeding;
    const r = this.received.get(from);
    if (r) r.messages++;
    return verdict;
  }

  /** Handshake with the peer's current endpoint; undefined (and lastError set) when refused. */
  private connect(id: NodeId, peer: MemoryPeer, stream: 'raft' | 'snapshot'): MemoryTransport | undefined {
    const target = peer.urls.map((u) => this.o.network.lookup(u)).find((t) => t !== undefined);
    let error: KvError | undefined;
    if (this.stopped) error = new KvError('Stopped', 'cairn: transport stopped');
    else if (!(target instanceof MemoryTransport) || !this.o.network.isConnected(this.id, id) || !this.o.network.isConnected(this.id, target.id)) {
      error = new KvError('TimeoutDueToConnectionLost', `cairn: cannot reach peer ${id.toString(16)} at ${peer.urls.join(',')}`);
    } else {
      const refusal = target.accept(helloFrame(this.self, id, stream));
      error = refusal && refusalError(refusal);
      if (refusal?.reason === 'memberRemoved') this.o.network.schedule(() => this.o.handler.onRemoved?.(refusal.message), 0);
    }
    if (error !== undefined) {
      peer.active = false;
      peer.counters.noteError(error);
      return undefined;
    }
    if (!peer.active) peer.counters.noteConnected();
    peer.active = true;
    return target as MemoryTransport;
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const [id, peer] of this.peers) {
      if (peer.outbox.length === 0) continue;
      const batch = peer.outbox;
      peer.outbox = [];
      const bytes = batch.reduce((n, m) => n + estimateBytes(m), 0);
      const settle = () => {
        peer.inflightMessages -= batch.length;
        peer.inflightBytes -= bytes;
      };
      const target = this.connect(id, peer, 'raft');
      if (target === undefined) {
        settle();
        peer.counters.droppedMessages += batch.length;
        this.reportUnreachable(id);
        continue;
      }
      const payload = encodePayload({ k: 'msgs', msgs: batch });
      peer.counters.sentBytes += payload.length + 4;
      peer.counters.sentMessages += batch.length;
      const carried = this.o.network.carry(this.id, id, () => {
        settle();
        target.receivePayload(this.id, payload);
      });
      if (!carried) settle();
    }
  }

  private copy(msg: MsgSnap): MsgSnap {
    const frame = validateFrame(decodePayload(encodePayload({ k: 'snapBegin', msg })));
    assert(frame.k === 'snapBegin', 'snapshot metadata survives the codec');
    return frame.msg;
  }

  private reportUnreachable(id: NodeId): void {
    if (this.unreachable.has(id)) return;
    this.unreachable.add(id);
    this.o.network.schedule(() => {
      this.unreachable.delete(id);
      if (!this.stopped) this.o.handler.onUnreachable(id);
    }, 0);
  }

  private noteInbound(error: KvError): void {
    const last = this.lastInboundError;
    this.lastInboundError = error;
    if (last?.message !== error.message) this.log({ level: 'warn', msg: error.message, error });
  }
}

/** The in-process twin of queryJoinOverTcp: asks the member registered at `url`. */
export async function queryJoinInMemory(network: MemoryNetwork, url: string, peerUrls: readonly string[]): Promise<JoinAnswer> {
  const target = network.lookup(url);
  if (!(target instanceof MemoryTransport)) throw new KvError('TimeoutDueToConnectionLost', `cairn: cannot reach peer at ${url}`);
  return target.answerJoin(peerUrls);
}
