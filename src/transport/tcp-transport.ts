/**
 * The real transport: listens on the member's peer URL (TLS when it is https) and keeps one
 * outbound PeerStream per peer. Inbound connections are either raft streams (a peer's messages
 * to us) or one-shot snapshot streams. See peer-stream.ts for the connection layout.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Message } from '../raft/messages.js';
import type { NodeId } from '../raft/types.js';
import { assert } from '../util/assert.js';
import { SystemClock, type Clock } from '../util/clock.js';
import { KvError } from '../util/errors.js';
import { LogThrottle } from '../util/log-throttle.js';
import { SeededRng, type Rng } from '../util/rng.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { bytesStream } from './chunk-queue.js';
import { FrameError } from './codec.js';
import { dialPeer, parsePeerUrl, tlsServerOptions, type PeerTlsOptions } from './dial.js';
import { FramedSocket } from './framed-socket.js';
import { joinFrame, refusalError, type JoinAnswer, type PeerHandler } from './handshake.js';
import { InboundConnection } from './inbound.js';
import { PeerCounters } from './peer-counters.js';
import { PeerStream } from './peer-stream.js';
import { sendSnapshotOver } from './snapshot-sender.js';
import {
  DEFAULT_LIMITS,
  type MsgSnap,
  type PeerStats,
  type Transport,
  type TransportHandler,
  type TransportLimits,
  type TransportLog,
  type TransportStats,
} from './transport.js';
import { isLocalType } from './validate.js';

export interface TcpTransportOptions {
  readonly id: NodeId;
  /** Members of different clusters refuse each other (etcd's cluster ID / initial-cluster-token). */
  readonly clusterId: string;
  /** Where to listen, e.g. `http://127.0.0.1:2380`; port 0 picks a free port (see `address`). */
  readonly listenUrl: string;
  readonly handler: PeerHandler;
  readonly tls?: PeerTlsOptions;
  readonly limits?: Partial<TransportLimits>;
  readonly backoff?: BackoffOptions;
  /** etcd's peer dial timeout is 1 s. */
  readonly dialTimeoutMs?: number;
  /** A snapshot transfer whose receiver stalls this long is abandoned (default 60 s). */
  readonly snapshotStallTimeoutMs?: number;
  /** How often to measure the round-trip time on each stream. */
  readonly pingIntervalMs?: number;
  readonly clock?: Clock;
  readonly rng?: Rng;
  readonly log?: TransportLog;
}

const OVER_LIMIT_LOG_MS = 10_000;

export class TcpTransport implements Transport {
  private readonly limits: TransportLimits;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly log: TransportLog;
  private readonly dialTimeoutMs: number;
  private readonly peers = new Map<NodeId, PeerStream>();
  /** Counters of bytes received from peers, kept across reconnects of their streams. */
  private readonly inboundCounters = new Map<NodeId, PeerCounters>();
  private readonly inbound = new Set<InboundConnection>();
  private readonly raftStreams = new Map<NodeId, InboundConnection>();
  private readonly snapshotConns = new Set<FramedSocket>();
  private server: net.Server | undefined;
  /** The peer certificates in use; replaced by reloadTls. */
  private tls: PeerTlsOptions | undefined;
  private stopped = false;
  private malformedFrames = 0;
  private refusedConnections = 0;
  private lastInboundError: KvError | undefined;
  /** Connections closed for want of a handshake slot. */
  private readonly overLimit: LogThrottle;

  constructor(private readonly o: TcpTransportOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...o.limits };
    this.clock = o.clock ?? new SystemClock();
    this.rng = o.rng ?? new SeededRng((Math.random() * 2 ** 32) >>> 0);
    this.log = o.log ?? (() => {});
    this.dialTimeoutMs = o.dialTimeoutMs ?? 1000;
    this.tls = o.tls;
    this.overLimit = new LogThrottle(OVER_LIMIT_LOG_MS, () => this.clock.now());
    assert(o.id > 0, 'a transport needs a non-zero member id');
  }

  /** The bound listen address (after start), e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    const address = this.server?.address();
    assert(address !== null && address !== undefined && typeof address === 'object', 'transport is not listening');
    const { secure } = parsePeerUrl(this.o.listenUrl);
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `${secure ? 'https' : 'http'}://${host}:${address.port}`;
  }

  /**
   * New peer certificates (rotated files): the listener presents and verifies with them from the
   * next handshake, and every later dial uses them. Connections already up keep theirs.
   */
  reloadTls(options: PeerTlsOptions): void {
    // setSecureContext throws on a certificate that does not match its key: nothing changes then.
    if (this.server instanceof tls.Server) this.server.setSecureContext(tlsServerOptions(options));
    this.tls = options;
  }

  async start(): Promise<void> {
    assert(this.server === undefined && !this.stopped, 'transport started twice');
    const address = parsePeerUrl(this.o.listenUrl);
    const onSocket = (socket: net.Socket) => this.accept(socket);
    // A TLS handshake is bounded like ours (node's default would hold a silent stranger for 120 s).
    const tlsOptions = { ...tlsServerOptions(this.tls), handshakeTimeout: this.handshakeTimeoutMs };
    const server = address.secure ? tls.createServer(tlsOptions, onSocket) : net.createServer(onSocket);
    // A failed handshake's TLS socket may already have lost its address; the TCP socket under it
    // (node's `_parent`) is noted when accepted, so the refusal is logged with who it was.
    const remotes = new WeakMap<net.Socket, string>();
    server.on('connection', (raw: net.Socket) => remotes.set(raw, `${raw.remoteAddress ?? '?'}:${raw.remotePort ?? '?'}`));
    server.on('tlsClientError', (err: Error, s: tls.TLSSocket) => {
      this.refusedConnections++;
      const raw = (s as unknown as { _parent?: net.Socket })._parent;
      const remote = (raw !== undefined ? remotes.get(raw) : undefined) ?? `${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}`;
      this.noteInbound(new KvError('InvalidArgument', `cairn: TLS handshake with a peer failed: ${err.message}`), remote);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log({ level: 'error', msg: `peer listener error: ${err.message}` }));
    this.server = server;
  }

  addPeer(id: NodeId, urls: readonly string[]): void {
    assert(id !== this.o.id, 'a member is not its own peer');
    if (this.stopped || this.peers.has(id)) return;
    this.peers.set(
      id,
      new PeerStream(id, urls, {
        self: { id: this.o.id, clusterId: this.o.clusterId },
        limits: this.limits,
        clock: this.clock,
        rng: this.rng,
        backoff: this.o.backoff ?? DEFAULT_BACKOFF,
        tls: () => this.tls,
        dialTimeoutMs: this.dialTimeoutMs,
        pingIntervalMs: this.o.pingIntervalMs ?? 1000,
        log: this.log,
        onUnreachable: (peer) => this.o.handler.onUnreachable(peer),
        onRemoved: (message) => this.o.handler.onRemoved?.(message),
      }),
    );
  }

  updatePeer(id: NodeId, urls: readonly string[]): void {
    this.peers.get(id)?.updateUrls(urls);
  }

  removePeer(id: NodeId): void {
    this.peers.get(id)?.stop();
    this.peers.delete(id);
    this.inboundCounters.delete(id);
    this.raftStreams.get(id)?.close();
  }

  send(messages: readonly Message[]): void {
    let unknown: Set<NodeId> | undefined;
    for (const msg of messages) {
      assert(!isLocalType(msg.type), () => `${msg.type} is local to a member and never sent`);
      if (msg.type === 'MsgSnap') {
        void this.sendSnapshot({ ...msg, snapshot: { ...msg.snapshot, data: new Uint8Array(0) } }, bytesStream(msg.snapshot.data));
        continue;
      }
      const peer = this.peers.get(msg.to);
      if (peer === undefined) {
        (unknown ??= new Set()).add(msg.to);
        continue;
      }
      peer.enqueue(msg);
    }
    if (unknown !== undefined && !this.stopped) {
      const ids = unknown;
      setImmediate(() => ids.forEach((id) => this.o.handler.onUnreachable(id)));
    }
  }

  async sendSnapshot(msg: MsgSnap, data: AsyncIterable<Uint8Array>): Promise<boolean> {
    const peer = this.peers.get(msg.to);
    const url = peer?.peerUrls[0];
    let ok = false;
    if (url === undefined || this.stopped) {
      this.log({ level: 'warn', msg: `cannot send a snapshot to unknown peer ${msg.to.toString(16)}`, peer: msg.to });
      await data[Symbol.asyncIterator]().return?.();
    } else {
      let opened: FramedSocket | undefined;
      const result = await sendSnapshotOver(msg, data, {
        self: { id: this.o.id, clusterId: this.o.clusterId },
        url,
        limits: this.limits,
        tls: this.tls,
        dialTimeoutMs: this.dialTimeoutMs,
        stallTimeoutMs: this.o.snapshotStallTimeoutMs ?? 60_000,
        clock: this.clock,
        onOpen: (conn) => {
          opened = conn;
          this.snapshotConns.add(conn);
        },
      });
      if (opened) this.snapshotConns.delete(opened);
      ok = result.ok;
      if (peer) peer.counters.sentBytes += result.bytes;
      if (result.error) peer?.counters.noteError(result.error);
    }
    if (!this.stopped) this.o.handler.onSnapshotStatus(msg.to, ok);
    return ok;
  }

  stats(): TransportStats {
    const peers: PeerStats[] = [];
    for (const [id, peer] of this.peers) {
      const s = peer.stats();
      const inbound = this.inboundCounters.get(id);
      peers.push({ ...s, receivedBytes: inbound?.receivedBytes ?? 0, receivedMessages: inbound?.receivedMessages ?? 0 });
    }
    return {
      peers,
      malformedFrames: this.malformedFrames,
      refusedConnections: this.refusedConnections,
      lastInboundError: this.lastInboundError,
    };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const peer of this.peers.values()) peer.stop();
    for (const conn of this.inbound) conn.close();
    for (const conn of this.snapshotConns) conn.close();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** etcd's rafthttp has no handshake of its own; ours gets five dial timeouts. */
  private get handshakeTimeoutMs(): number {
    return this.dialTimeoutMs * 5;
  }

  private accept(socket: net.Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const badCertificate = this.certificateRefusal(socket);
    if (badCertificate !== undefined) {
      this.refusedConnections++;
      this.noteInbound(new KvError('InvalidArgument', badCertificate), remote);
      socket.destroy();
      return;
    }
    let pending = 0;
    for (const c of this.inbound) if (c.handshaking) pending++;
    if (pending >= this.limits.maxPendingHandshakes) {
      this.refuseOverLimit(remote);
      socket.destroy();
      return;
    }
    const conn: InboundConnection = new InboundConnection(socket, {
      self: { id: this.o.id, clusterId: this.o.clusterId },
      limits: this.limits,
      clock: this.clock,
      handshakeTimeoutMs: this.handshakeTimeoutMs,
      handler: this.o.handler,
      log: this.log,
      isKnownPeer: (id) => this.peers.has(id),
      onRaftStream: (from, c) => {
        const old = this.raftStreams.get(from);
        this.raftStreams.set(from, c);
        old?.close();
        this.peers.get(from)?.redialNow();
      },
      onReceived: (from, bytes, messages) => {
        let counters = this.inboundCounters.get(from);
        if (counters === undefined && this.peers.has(from)) {
          counters = new PeerCounters(from, this.log);
          this.inboundCounters.set(from, counters);
        }
        if (counters) {
          counters.receivedBytes += bytes;
          counters.receivedMessages += messages;
        }
      },
      onMalformed: (error, remote) => {
        this.malformedFrames++;
        this.noteInbound(error, remote);
      },
      onRefused: (error, remote) => {
        this.refusedConnections++;
        this.noteInbound(error, remote);
      },
      onClosed: (c) => {
        this.inbound.delete(c);
        for (const [from, stream] of this.raftStreams) if (stream === c) this.raftStreams.delete(from);
      },
    });
    this.inbound.add(conn);
  }

  /** etcd's --peer-cert-allowed-cn: a verified certificate with exactly that common name, or why not. */
  private certificateRefusal(socket: net.Socket): string | undefined {
    const allowed = this.tls?.allowedCn;
    if (allowed === undefined || allowed === '') return undefined;
    const secure = socket as Partial<tls.TLSSocket>;
    const cn = secure.getPeerCertificate?.()?.subject?.CN;
    if (secure.authorized === true && cn === allowed) return undefined;
    return `cairn: peer client certificate authentication failed: CN ${JSON.stringify(cn ?? '')} is not the allowed ${JSON.stringify(allowed)} (--peer-cert-allowed-cn)`;
  }

  /** Logs a new reason once (a peer retrying with the same fault does not flood the log). */
  private noteInbound(error: KvError, remote?: string): void {
    const last = this.lastInboundError;
    this.lastInboundError = error;
    if (last?.message !== error.message) this.log({ level: 'warn', msg: remote === undefined ? error.message : `${error.message} (from ${remote})`, error });
  }

  /** A connection over maxPendingHandshakes is closed before anything is read from it; logged throttled. */
  private refuseOverLimit(remote: string): void {
    const counts = this.overLimit.note();
    if (counts === undefined) return;
    this.log({
      level: 'warn',
      msg: `closed peer connection from ${remote}: ${this.limits.maxPendingHandshakes} connections are already in their handshake (${counts.since} closed since the last such line, ${counts.total} in all)`,
    });
  }
}

/**
 * Asks the member listening at `url` who the member advertising `peerUrls` is (its ID, the
 * cluster's ID and member table): a joiner's first step. Rejects with the listener's refusal
 * (e.g. no such member yet: `member add` first) or a connection error.
 */
export async function queryJoinOverTcp(url: string, peerUrls: readonly string[], tlsOptions: PeerTlsOptions | undefined, timeoutMs = 1000): Promise<JoinAnswer> {
  const socket = await dialPeer(parsePeerUrl(url), tlsOptions, timeoutMs);
  return new Promise<JoinAnswer>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const conn = new FramedSocket(socket, DEFAULT_LIMITS.maxFrameBytes, {
      onFrame: (frame) => {
        if (frame.k === 'joinInfo') settle(() => resolve({ clusterId: frame.clusterId, memberId: frame.memberId, members: frame.members }));
        else if (frame.k === 'refuse') settle(() => reject(refusalError(frame)));
        else settle(() => reject(new FrameError(`peer at ${url} answered a join query with ${frame.k}`)));
        conn.close();
      },
      onClose: (error) => settle(() => reject(error ?? new KvError('TimeoutDueToConnectionLost', `cairn: peer at ${url} closed the join query unanswered`))),
    });
    const timer = setTimeout(() => {
      settle(() => reject(new KvError('TimeoutDueToConnectionLost', `cairn: peer at ${url} did not answer the join query within ${timeoutMs} ms`)));
      conn.close();
    }, timeoutMs);
    conn.write(joinFrame(peerUrls));
  });
}
