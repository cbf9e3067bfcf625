/**
 * Sends one snapshot over its own connection (etcd streams snapshots apart from the message
 * stream, so a large transfer never delays heartbeats): hello, the MsgSnap in a metadata frame,
 * then the data in chunks of at most `snapshotChunkBytes`, each with a CRC-32C, written only as
 * fast as the socket drains; finally the totals, and the receiver's verdict comes back.
 */
import type { Clock } from '../util/clock.js';
import { crc32c } from '../util/crc.js';
import { KvError } from '../util/errors.js';
import { boundedChunks } from './chunk-queue.js';
import { FrameError } from './codec.js';
import { dialPeer, parsePeerUrl, type PeerTlsOptions } from './dial.js';
import { FramedSocket } from './framed-socket.js';
import type { Frame } from './frames.js';
import { helloFrame, refusalError, type LocalIdentity } from './handshake.js';
import type { MsgSnap, TransportLimits } from './transport.js';

export interface SnapshotSendOptions {
  readonly self: LocalIdentity;
  readonly url: string;
  readonly limits: TransportLimits;
  readonly tls: PeerTlsOptions | undefined;
  readonly dialTimeoutMs: number;
  /**
   * How long the peer may stop reading chunks, or take to answer after the last one, before the
   * transfer is abandoned (raft then retries the snapshot instead of waiting forever).
   */
  readonly stallTimeoutMs: number;
  readonly clock: Clock;
  /** Called with the connection once open, so stop() can abort a transfer in progress. */
  readonly onOpen: (conn: FramedSocket) => void;
}

export interface SnapshotSendResult {
  readonly ok: boolean;
  readonly bytes: number;
  readonly error?: KvError;
}

/** Resolves with the outcome; never rejects (a failure is `{ ok: false, error }`). */
export async function sendSnapshotOver(msg: MsgSnap, data: AsyncIterable<Uint8Array>, o: SnapshotSendOptions): Promise<SnapshotSendResult> {
  let conn: FramedSocket | undefined;
  let bytes = 0;
  try {
    const socket = await dialPeer(parsePeerUrl(o.url), o.tls, o.dialTimeoutMs);
    const replies = new ReplyWaiter();
    conn = new FramedSocket(socket, o.limits.maxFrameBytes, {
      onFrame: (frame) => replies.onFrame(frame),
      onClose: (error) => replies.onClose(error ?? new KvError('TimeoutDueToConnectionLost', `cairn: snapshot connection to peer ${msg.to.toString(16)} closed`)),
    });
    o.onOpen(conn);
    conn.write(helloFrame(o.self, msg.to, 'snapshot'));
    const welcome = await replies.next(o.clock, o.dialTimeoutMs);
    if (welcome.k === 'refuse') throw refusalError(welcome);
    if (welcome.k !== 'welcome') throw new FrameError(`peer ${msg.to.toString(16)} answered hello with ${welcome.k}`);
    conn.write({ k: 'snapBegin', msg });
    let chunks = 0;
    for await (const chunk of boundedChunks(data, o.limits.snapshotChunkBytes)) {
      if (conn.isClosed) throw replies.failure ?? new FrameError('snapshot connection closed');
      if (!conn.write({ k: 'snapChunk', data: chunk, crc: crc32c(chunk) })) await drainedOrStalled(conn, o);
      chunks++;
      bytes += chunk.length;
    }
    if (conn.isClosed) throw replies.failure ?? new FrameError('snapshot connection closed');
    conn.write({ k: 'snapEnd', chunks, bytes });
    const done = await replies.next(o.clock, o.stallTimeoutMs);
    if (done.k !== 'snapDone') throw new FrameError(`peer ${msg.to.toString(16)} answered the snapshot with ${done.k}`);
    if (!done.ok) throw new KvError('Canceled', `cairn: peer ${msg.to.toString(16)} refused the snapshot: ${done.message}`);
    return { ok: true, bytes };
  } catch (err) {
    return { ok: false, bytes, error: err instanceof KvError ? err : new KvError('TimeoutDueToConnectionLost', String(err)) };
  } finally {
    conn?.close();
  }
}

async function drainedOrStalled(conn: FramedSocket, o: SnapshotSendOptions): Promise<void> {
  const timer = o.clock.setTimeout(
    () => conn.close(new FrameError(`peer stopped reading the snapshot for ${o.stallTimeoutMs} ms`)),
    o.stallTimeoutMs,
  );
  try {
    await conn.drained();
  } finally {
    timer.cancel();
  }
}

/** Hands frames from the peer to whoever awaits the next one; a close fails the waiter. */
class ReplyWaiter {
  private readonly frames: Frame[] = [];
  private waiter: { resolve: (f: Frame) => void; reject: (e: KvError) => void } | undefined;
  failure: KvError | undefined;

  onFrame(frame: Frame): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(frame);
    } else if (this.frames.length < 4) {
      this.frames.push(frame);
    }
  }

  onClose(error: KvError): void {
    this.failure ??= error;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(error);
  }

  next(clock: Clock, timeoutMs: number | undefined): Promise<Frame> {
    const queued = this.frames.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : clock.setTimeout(() => {
        this.waiter = undefined;
        reject(new FrameError(`peer did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        resolve: (f) => (timer?.cancel(), resolve(f)),
        reject: (e) => (timer?.cancel(), reject(e)),
      };
    });
  }
}
