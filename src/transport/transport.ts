/**
 * The peer transport the member uses to move raft messages and snapshots between members
 * (etcd's rafthttp, minus HTTP). Two implementations share this contract and one conformance
 * suite (test/transport/conformance.ts): `TcpTransport` (node:net / node:tls) and
 * `MemoryTransport` (an in-process twin for member tests).
 *
 * Snapshots: the full application data of a snapshot is `msg.snapshot.data` followed by the
 * concatenation of the chunks of the `data` stream. `sendSnapshot` sends `msg` verbatim in a
 * metadata frame and streams `data` in bounded, CRC-checked chunks, so a large backend never sits
 * in one buffer; `send()` of a MsgSnap moves `snapshot.data` into the stream itself.
 */
import type { NodeId } from '../raft/types.js';
import type { Message, MessageOf } from '../raft/messages.js';
import type { KvError } from '../util/errors.js';

export type MsgSnap = MessageOf<'MsgSnap'>;

/** What the member gives the transport; the transport calls it, never the other way round. */
export interface TransportHandler {
  /** A batch of validated messages from one peer, in the order the peer sent them. */
  onMessages(batch: Message[]): void;
  /** Messages to `id` were dropped (queue full, connection lost): raft should probe it. */
  onUnreachable(id: NodeId): void;
  /**
   * An incoming snapshot. `data` yields the streamed chunks (it throws a KvError if the stream
   * breaks or a chunk fails its CRC); resolve once the snapshot is durably applied, reject to
   * refuse it. The outcome goes back to the sender.
   */
  onSnapshot(msg: MsgSnap, data: AsyncIterable<Uint8Array>): Promise<void>;
  /** Outcome of a snapshot this member sent (etcd's ReportSnapshot). */
  onSnapshotStatus(to: NodeId, ok: boolean): void;
}

export interface PeerStats {
  readonly id: NodeId;
  readonly urls: readonly string[];
  /** The outbound stream to this peer finished its handshake and is up. */
  readonly active: boolean;
  readonly sentBytes: number;
  readonly receivedBytes: number;
  readonly sentMessages: number;
  readonly receivedMessages: number;
  /** Messages dropped because the queue was full or the connection was down or lost. */
  readonly droppedMessages: number;
  readonly queuedMessages: number;
  readonly queuedBytes: number;
  /** Last measured round-trip time in milliseconds (etcd_network_peer_round_trip_time_seconds). */
  readonly rttMs: number | undefined;
  /** The last error talking to this peer (refused handshake, dial failure), kept until it heals. */
  readonly lastError: KvError | undefined;
  /** Successful handshakes on the outbound stream so far (1 on first connect). */
  readonly connects: number;
}

export interface TransportStats {
  readonly peers: readonly PeerStats[];
  /** Inbound frames that failed to decode or validate; each one dropped its connection. */
  readonly malformedFrames: number;
  /** Inbound connections refused at the handshake (other cluster, wrong target, unknown peer). */
  readonly refusedConnections: number;
  /** The last reason this member refused or dropped an inbound connection. */
  readonly lastInboundError: KvError | undefined;
}

export interface Transport {
  /** Starts listening (TCP) or registers with the network (memory). */
  start(): Promise<void>;
  addPeer(id: NodeId, urls: readonly string[]): void;
  /** New URLs for a known peer; its connection is re-dialed if its current URL is gone. */
  updatePeer(id: NodeId, urls: readonly string[]): void;
  /** Forgets a peer: closes its connections, drops its queue, and refuses it from now on. */
  removePeer(id: NodeId): void;
  /**
   * Queues messages for their `to` peers and returns at once. Never blocks and never throws on
   * a down or unknown peer: what cannot be delivered is dropped and reported via onUnreachable
   * (and onSnapshotStatus(to, false) for a MsgSnap).
   */
  send(messages: readonly Message[]): void;
  /**
   * Streams a snapshot to `msg.to` on its own connection. Resolves true when the peer applied
   * it, false otherwise (never rejects); either way onSnapshotStatus is called first. `data` is
   * consumed at the pace the peer reads it and is closed (`return()`) on failure.
   */
  sendSnapshot(msg: MsgSnap, data: AsyncIterable<Uint8Array>): Promise<boolean>;
  stats(): TransportStats;
  /** Closes every connection and the listener; queued messages are dropped. */
  stop(): Promise<void>;
}

/** Named limits; every queue and buffer in the transport is bounded by one of these. */
export interface TransportLimits {
  /** Largest frame accepted or produced; a longer length prefix is a connection error. */
  readonly maxFrameBytes: number;
  /** Target size of one batch frame of raft messages (etcd's maxSizePerMsg is 1 MiB). */
  readonly maxBatchBytes: number;
  /** Per-peer queue bound by count (etcd's streamBufSize is 4096). */
  readonly maxQueuedMessages: number;
  /** Per-peer queue bound by bytes. */
  readonly maxQueuedBytes: number;
  /** Size of one snapshot data chunk on the wire. */
  readonly snapshotChunkBytes: number;
  /** Chunks a receiver buffers before it stops reading the socket (backpressure). */
  readonly snapshotBufferedChunks: number;
  /**
   * Largest frame read from a connection that has not finished its handshake: hello and join
   * frames are a few hundred bytes, so a stranger cannot make the listener buffer maxFrameBytes.
   */
  readonly maxHandshakeFrameBytes: number;
  /** Inbound connections allowed to be in their handshake at once; further ones are closed at once. */
  readonly maxPendingHandshakes: number;
}

export const DEFAULT_LIMITS: TransportLimits = Object.freeze({
  maxFrameBytes: 16 * 1024 * 1024,
  maxBatchBytes: 1024 * 1024,
  maxQueuedMessages: 4096,
  maxQueuedBytes: 64 * 1024 * 1024,
  snapshotChunkBytes: 256 * 1024,
  snapshotBufferedChunks: 16,
  maxHandshakeFrameBytes: 8 * 1024,
  maxPendingHandshakes: 64,
});

/** A structured log line; the member routes these to its logger. */
export interface TransportLogEvent {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly peer?: NodeId;
  readonly error?: KvError;
}

export type TransportLog = (event: TransportLogEvent) => void;
