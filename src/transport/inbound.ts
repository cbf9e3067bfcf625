/**
 * One accepted connection: waits for `hello`, refuses or welcomes it, then serves a raft stream
 * (message batches to the member, pings answered) or a snapshot stream (chunks verified and handed
 * to the member as an async iterable, its verdict sent back). Every failure closes only this
 * connection; member callbacks that throw are logged, never allowed to unwind the socket handler.
 */
import type { Socket } from 'node:net';
import type { Message } from '../raft/messages.js';
import type { NodeId } from '../raft/types.js';
import type { Clock, Timer } from '../util/clock.js';
import { crc32c } from '../util/crc.js';
import { KvError } from '../util/errors.js';
import { ChunkQueue } from './chunk-queue.js';
import { FrameError } from './codec.js';
import { FramedSocket } from './framed-socket.js';
import type { Frame } from './frames.js';
import { answerJoinQuery, checkHello, type LocalIdentity, type PeerHandler } from './handshake.js';
import type { TransportLimits, TransportLog } from './transport.js';

export interface InboundContext {
  readonly self: LocalIdentity;
  readonly limits: TransportLimits;
  readonly clock: Clock;
  readonly handshakeTimeoutMs: number;
  readonly handler: PeerHandler;
  readonly log: TransportLog;
  isKnownPeer(id: NodeId): boolean;
  /** A raft stream from `from` was accepted; the transport closes any older one from it. */
  onRaftStream(from: NodeId, conn: InboundConnection): void;
  onReceived(from: NodeId, bytes: number, messages: number): void;
  /** `remote` is the other side's `host:port`, for the log line. */
  onMalformed(error: KvError, remote: string): void;
  onRefused(error: KvError, remote: string): void;
  onClosed(conn: InboundConnection): void;
}

type Phase =
  | { readonly name: 'hello' }
  | { readonly name: 'raft'; readonly from: NodeId }
  | { readonly name: 'snapBegin'; readonly from: NodeId }
  | { readonly name: 'snapData'; readonly from: NodeId; readonly queue: ChunkQueue; chunks: number; bytes: number }
  | { readonly name: 'snapApplying'; readonly from: NodeId }
  /** The member answered; whatever the sender still had in flight is ignored. */
  | { readonly name: 'snapAnswered'; readonly from: NodeId };

export class InboundConnection {
  readonly conn: FramedSocket;
  private phase: Phase = { name: 'hello' };
  private readonly helloTimer: Timer;
  private lastBytesRead = 0;

  constructor(
    socket: Socket,
    private readonly ctx: InboundContext,
  ) {
    this.conn = new FramedSocket(socket, ctx.limits.maxFrameBytes, {
      onFrame: (frame) => this.onFrame(frame),
      onClose: (error, malformed) => this.onClose(error, malformed),
    });
    // Until the handshake is done the other side is a stranger: only small frames are read.
    this.conn.limitInboundFrames(ctx.limits.maxHandshakeFrameBytes);
    this.helloTimer = ctx.clock.setTimeout(() => this.handshakeTimedOut(), ctx.handshakeTimeoutMs);
  }

  /** Still waiting for hello (or answering a join query): counts against maxPendingHandshakes. */
  get handshaking(): boolean {
    return this.phase.name === 'hello' && !this.conn.isClosed;
  }

  private handshakeTimedOut(): void {
    const detail = `no handshake within ${this.ctx.handshakeTimeoutMs} ms`;
    this.ctx.log({ level: 'warn', msg: `closed peer connection from ${this.conn.remote}: ${detail}` });
    this.conn.close(new FrameError(detail));
  }

  close(): void {
    this.conn.close();
  }

  private onFrame(frame: Frame): void {
    const phase = this.phase;
    this.countReceived(frame.k === 'msgs' ? frame.msgs.length : 0);
    switch (phase.name) {
      case 'hello':
        return this.onHello(frame);
      case 'raft':
        if (frame.k === 'msgs') return this.deliver(phase.from, frame.msgs);
        if (frame.k === 'ping') {
          this.conn.write({ k: 'pong', t: frame.t });
          return;
        }
        return this.protocolError(`unexpected ${frame.k} frame on a raft stream`);
      case 'snapBegin':
        if (frame.k !== 'snapBegin') return this.protocolError(`expected snapBegin, got ${frame.k}`);
        if (frame.msg.from !== phase.from || frame.msg.to !== this.ctx.self.id) {
          return this.protocolError(`snapshot from ${frame.msg.from} to ${frame.msg.to} on a stream from ${phase.from}`);
        }
        return this.beginSnapshot(phase.from, frame.msg);
      case 'snapData':
        return this.onSnapshotData(phase, frame);
      case 'snapApplying':
        return this.protocolError(`unexpected ${frame.k} frame after the snapshot ended`);
      case 'snapAnswered':
        return;
    }
  }

  private onHello(frame: Frame): void {
    if (frame.k === 'join') {
      // A joiner's one question: answered, then the connection ends.
      this.helloTimer.cancel();
      this.conn.write(answerJoinQuery(frame, this.ctx.self, this.ctx.handler, false));
      this.conn.end();
      return;
    }
    if (frame.k !== 'hello') return this.protocolError(`expected hello, got ${frame.k}`);
    this.helloTimer.cancel();
    const refusal = checkHello(frame, this.ctx.self, (id) => this.ctx.isKnownPeer(id), (id) => this.ctx.handler.isRemoved?.(id) === true);
    if (refusal !== undefined) {
      this.ctx.onRefused(new KvError(refusal.reason === 'clusterIdMismatch' ? 'ClusterIdMismatch' : 'InvalidArgument', refusal.message), this.conn.remote);
      this.conn.write({ k: 'refuse', reason: refusal.reason, message: refusal.message });
      this.conn.end();
      return;
    }
    this.conn.write({ k: 'welcome' });
    this.conn.limitInboundFrames(this.ctx.limits.maxFrameBytes);
    if (frame.stream === 'raft') {
      this.phase = { name: 'raft', from: frame.from };
      this.ctx.onRaftStream(frame.from, this);
    } else {
      this.phase = { name: 'snapBegin', from: frame.from };
    }
  }

  private deliver(from: NodeId, msgs: readonly Message[]): void {
    for (const m of msgs) {
      if (m.from !== from || m.to !== this.ctx.self.id) {
        return this.protocolError(`message from ${m.from.toString(16)} to ${m.to.toString(16)} on a stream from ${from.toString(16)} to ${this.ctx.self.id.toString(16)}`);
      }
    }
    if (msgs.length === 0) return;
    try {
      this.ctx.handler.onMessages([...msgs]);
    } catch (err) {
      this.ctx.log({ level: 'error', msg: `member handler threw on messages from ${from.toString(16)}: ${(err as Error).message}`, peer: from });
    }
  }

  private beginSnapshot(from: NodeId, msg: Extract<Frame, { k: 'snapBegin' }>['msg']): void {
    const socket = this.conn.socket;
    const queue = new ChunkQueue({
      highWater: this.ctx.limits.snapshotBufferedChunks,
      pause: () => socket.pause(),
      resume: () => socket.resume(),
    });
    this.phase = { name: 'snapData', from, queue, chunks: 0, bytes: 0 };
    let verdict: Promise<void>;
    try {
      verdict = this.ctx.handler.onSnapshot(msg, queue);
    } catch (err) {
      verdict = Promise.reject(err as Error);
    }
    verdict.then(
      () => this.finishSnapshot(from, true, ''),
      (err: unknown) => this.finishSnapshot(from, false, err instanceof Error ? err.message : String(err)),
    );
  }

  private onSnapshotData(phase: Extract<Phase, { name: 'snapData' }>, frame: Frame): void {
    if (frame.k === 'snapChunk') {
      if (crc32c(frame.data) !== frame.crc) {
        const error = new KvError('Corrupt', `cairn: snapshot chunk ${phase.chunks} from peer ${phase.from} failed its CRC check`);
        phase.queue.fail(error);
        this.ctx.onMalformed(error, this.conn.remote);
        this.conn.close(error);
        return;
      }
      phase.chunks++;
      phase.bytes += frame.data.length;
      phase.queue.push(frame.data);
      return;
    }
    if (frame.k === 'snapEnd') {
      if (frame.chunks !== phase.chunks || frame.bytes !== phase.bytes) {
        const error = new KvError(
          'Corrupt',
          `cairn: snapshot from peer ${phase.from} ended after ${phase.chunks} chunks / ${phase.bytes} bytes, sender says ${frame.chunks} / ${frame.bytes}`,
        );
        phase.queue.fail(error);
        this.conn.close(error);
        return;
      }
      phase.queue.end();
      this.phase = { name: 'snapApplying', from: phase.from };
      return;
    }
    this.protocolError(`unexpected ${frame.k} frame in a snapshot stream`);
  }

  private finishSnapshot(from: NodeId, ok: boolean, message: string): void {
    if (this.phase.name === 'snapData') this.phase.queue.fail(new KvError('Canceled', 'cairn: snapshot handler finished before the stream ended'));
    if (!ok) this.ctx.log({ level: 'warn', msg: `refused snapshot from peer ${from.toString(16)}: ${message}`, peer: from });
    this.phase = { name: 'snapAnswered', from };
    this.conn.socket.resume();
    this.conn.write({ k: 'snapDone', ok, message: message.slice(0, 1000) });
    this.conn.end();
  }

  private protocolError(detail: string): void {
    const error = new FrameError(`protocol error: ${detail}`);
    this.ctx.onMalformed(error, this.conn.remote);
    this.conn.close(error);
  }

  private countReceived(messages: number): void {
    const from = this.phase.name === 'hello' ? undefined : this.phase.from;
    const bytes = this.conn.bytesRead - this.lastBytesRead;
    this.lastBytesRead = this.conn.bytesRead;
    if (from !== undefined) this.ctx.onReceived(from, bytes, messages);
  }

  private onClose(error: KvError | undefined, malformed: boolean): void {
    this.helloTimer.cancel();
    if (malformed && error) this.ctx.onMalformed(error, this.conn.remote);
    if (this.phase.name === 'snapData') {
      this.phase.queue.fail(new KvError('TimeoutDueToConnectionLost', `cairn: snapshot stream from peer ${this.phase.from} broke: ${error?.message ?? 'connection closed'}`));
    }
    this.ctx.onClosed(this);
  }
}
