/**
 * The outbound raft stream to one peer: a bounded queue, one long-lived connection that
 * carries our messages to the peer in batch frames (everything queued in one event-loop turn
 * goes out together), and reconnection with jittered exponential backoff. Each member dials
 * every peer, so a pair of members holds two connections, one per direction (etcd's streams are
 * likewise one-way per writer); replies to `hello` and `ping` come back on the same socket.
 *
 * While the stream is down, messages are dropped and the peer reported unreachable (raft then
 * probes it with heartbeats instead of streaming appends); while dialing they wait in the queue.
 */
import type { Message } from '../raft/messages.js';
import type { NodeId } from '../raft/types.js';
import type { Clock, Timer } from '../util/clock.js';
import type { KvError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { FrameError, encodePayload } from './codec.js';
import { dialPeer, parsePeerUrl, type PeerTlsOptions } from './dial.js';
import { FramedSocket } from './framed-socket.js';
import type { Frame } from './frames.js';
import { helloFrame, refusalError, type LocalIdentity } from './handshake.js';
import { MessageQueue } from './message-queue.js';
import { PeerCounters } from './peer-counters.js';
import type { PeerStats, TransportLimits, TransportLog } from './transport.js';

export interface PeerStreamOptions {
  readonly self: LocalIdentity;
  readonly limits: TransportLimits;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly backoff: BackoffOptions;
  /** Read at each dial, so reloaded certificates (TcpTransport.reloadTls) take effect on the next connection. */
  readonly tls: () => PeerTlsOptions | undefined;
  readonly dialTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly log: TransportLog;
  /** Called at most once per event-loop turn while messages are being dropped. */
  readonly onUnreachable: (id: NodeId) => void;
  /** The peer refused us as a removed member (its member table says so). */
  readonly onRemoved?: (message: string) => void;
}

/** Unanswered ping intervals after which a stream is presumed dead and re-dialed. */
const PONG_TIMEOUT_PINGS = 4;

type State = 'dialing' | 'handshaking' | 'active' | 'backoff' | 'stopped';

export class PeerStream {
  readonly counters: PeerCounters;
  private urls: string[];
  private urlIndex = 0;
  private state: State = 'dialing';
  private readonly queue: MessageQueue;
  private readonly backoff: Backoff;
  private conn: FramedSocket | undefined;
  private timer: Timer | undefined;
  private pingTimer: Timer | undefined;
  private flushScheduled = false;
  private flushing = false;
  private unreachableScheduled = false;
  /** The peer refused our last handshake; keep its reason as lastError rather than "closed". */
  private refused = false;
  /** When the current stream last proved the peer alive (welcome or pong). */
  private lastHeardAt = 0;

  constructor(
    readonly id: NodeId,
    urls: readonly string[],
    private readonly o: PeerStreamOptions,
  ) {
    this.urls = [...urls];
    this.counters = new PeerCounters(id, o.log);
    this.queue = new MessageQueue(o.limits.maxQueuedMessages, o.limits.maxQueuedBytes);
    this.backoff = new Backoff(o.backoff, o.rng);
    void this.connect();
  }

  get peerUrls(): readonly string[] {
    return this.urls;
  }

  enqueue(msg: Message): void {
    if (this.state === 'backoff' || this.state === 'stopped' || !this.queue.push(msg)) {
      this.drop(1);
      return;
    }
    this.scheduleFlush();
  }

  updateUrls(urls: readonly string[]): void {
    const current = this.urls[this.urlIndex % Math.max(1, this.urls.length)];
    this.urls = [...urls];
    this.urlIndex = 0;
    if (current !== undefined && !urls.includes(current)) this.conn?.close();
  }

  /**
   * The peer just reached us on its own stream, so it is up: if we are waiting out a backoff to
   * it, dial now. A member added before it started (a joiner) or restarted after a long outage
   * would otherwise wait up to the backoff's ceiling for our next attempt. The backoff is not
   * reset (only a good handshake does that), and the peer's own redials are backoff-bounded, so
   * this cannot turn into a dial storm.
   */
  redialNow(): void {
    if (this.state !== 'backoff') return;
    this.timer?.cancel();
    void this.connect();
  }

  stop(): void {
    this.state = 'stopped';
    this.timer?.cancel();
    this.pingTimer?.cancel();
    this.conn?.close();
    this.counters.droppedMessages += this.queue.clear();
  }

  stats(): PeerStats {
    return this.counters.snapshot(this.urls, this.state === 'active', this.queue.length, this.queue.bytes);
  }

  private async connect(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'dialing';
    this.refused = false;
    const url = this.urls[this.urlIndex++ % Math.max(1, this.urls.length)];
    let socket;
    try {
      if (url === undefined) throw new FrameError(`peer ${this.id.toString(16)} has no URL`);
      socket = await dialPeer(parsePeerUrl(url), this.o.tls(), this.o.dialTimeoutMs);
    } catch (err) {
      this.lost(err as KvError);
      return;
    }
    if (this.state !== 'dialing') {
      socket.destroy();
      return;
    }
    this.state = 'handshaking';
    const conn = new FramedSocket(socket, this.o.limits.maxFrameBytes, {
      onFrame: (frame) => this.onFrame(conn, frame),
      onClose: (error) => {
        if (this.conn === conn) this.conn = undefined;
        this.lost(error ?? new FrameError(`connection to peer ${this.id.toString(16)} closed`));
      },
    });
    this.conn = conn;
    conn.write(helloFrame(this.o.self, this.id, 'raft'));
    this.timer = this.o.clock.setTimeout(
      () => conn.close(new FrameError(`peer ${this.id.toString(16)} did not answer the handshake within ${this.o.dialTimeoutMs} ms`)),
      this.o.dialTimeoutMs,
    );
  }

  private onFrame(conn: FramedSocket, frame: Frame): void {
    switch (frame.k) {
      case 'welcome':
        if (this.state !== 'handshaking') break;
        this.timer?.cancel();
        this.state = 'active';
        this.backoff.reset();
        this.counters.noteConnected();
        this.lastHeardAt = this.o.clock.now();
        this.ping(conn);
        this.pingTimer = this.o.clock.setInterval(() => this.ping(conn), this.o.pingIntervalMs);
        this.scheduleFlush();
        return;
      case 'refuse':
        this.refused = true;
        this.counters.noteError(refusalError(frame));
        conn.close();
        if (frame.reason === 'memberRemoved') this.o.onRemoved?.(frame.message);
        return;
      case 'pong':
        this.lastHeardAt = this.o.clock.now();
        this.counters.rttMs = Math.max(0, this.lastHeardAt - frame.t);
        return;
      default:
        break;
    }
    conn.close(new FrameError(`peer ${this.id.toString(16)} sent an unexpected ${frame.k} frame on our raft stream`));
  }

  /**
   * Measures the round trip, and detects a peer that vanished without closing the connection
   * (power loss, a cut cable): TCP alone would keep writing into the void for minutes.
   */
  private ping(conn: FramedSocket): void {
    if (this.conn !== conn || this.state !== 'active') return;
    const silentMs = this.o.clock.now() - this.lastHeardAt;
    if (silentMs > PONG_TIMEOUT_PINGS * this.o.pingIntervalMs) {
      conn.close(new FrameError(`peer ${this.id.toString(16)} did not answer pings for ${Math.round(silentMs)} ms`));
      return;
    }
    conn.write({ k: 'ping', t: this.o.clock.now() });
  }

  /** The connection failed or ended: drop what is queued and retry after a backoff. */
  private lost(error: KvError): void {
    if (this.state === 'stopped' || this.state === 'backoff') return;
    this.timer?.cancel();
    this.pingTimer?.cancel();
    if (!this.refused) this.counters.noteError(error);
    this.drop(this.queue.clear());
    this.state = 'backoff';
    this.timer = this.o.clock.setTimeout(() => void this.connect(), this.backoff.next());
  }

  private drop(n: number): void {
    if (n === 0) return;
    this.counters.droppedMessages += n;
    if (this.unreachableScheduled) return;
    this.unreachableScheduled = true;
    setImmediate(() => {
      this.unreachableScheduled = false;
      if (this.state !== 'stopped') this.o.onUnreachable(this.id);
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.state !== 'active') return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  /** Writes queued messages as batch frames until the queue is empty or the socket is full. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.state === 'active' && this.queue.length > 0) {
        const conn = this.conn;
        if (conn === undefined || conn.isClosed) break;
        if (conn.socket.writableNeedDrain) {
          await conn.drained();
          continue;
        }
        const batch = this.queue.takeBatch(this.o.limits.maxBatchBytes);
        const payload = encodePayload({ k: 'msgs', msgs: batch });
        if (payload.length > this.o.limits.maxFrameBytes) {
          // Only a single message can outgrow a frame (batches are cut at maxBatchBytes).
          this.o.log({ level: 'error', msg: `dropping a ${payload.length}-byte batch to peer ${this.id.toString(16)}: above the frame limit`, peer: this.id });
          this.drop(batch.length);
          continue;
        }
        conn.writePayload(payload);
        this.counters.sentBytes += payload.length + 4;
        this.counters.sentMessages += batch.length;
      }
    } finally {
      this.flushing = false;
    }
  }
}
