/**
 * A socket speaking frames: writes length-prefixed msgpackr frames (one writev per frame), and
 * turns incoming bytes into validated frames. Any decoding or validation failure is reported
 * once through `onClose(error, malformed=true)` and the socket is destroyed; nothing thrown by
 * bad input escapes the socket's event handlers.
 */
import type { Socket } from 'node:net';
import type { KvError } from '../util/errors.js';
import { FrameDecoder, FrameError, encodePayload, frameHeader } from './codec.js';
import { decodeFrame, type Frame } from './frames.js';

export interface FramedSocketEvents {
  onFrame(frame: Frame): void;
  /** Called exactly once. `malformed` is true when the peer sent a bad frame. */
  onClose(error: KvError | undefined, malformed: boolean): void;
}

export class FramedSocket {
  private readonly decoder: FrameDecoder;
  private closed = false;
  bytesRead = 0;
  bytesWritten = 0;
  /** `host:port` of the other side, as it was when the connection opened (for log lines). */
  readonly remote: string;

  constructor(
    readonly socket: Socket,
    private readonly maxFrameBytes: number,
    private readonly events: FramedSocketEvents,
  ) {
    this.decoder = new FrameDecoder(maxFrameBytes);
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.finish(new FrameError(`connection error: ${err.message}`), false));
    socket.on('close', () => this.finish(undefined, false));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Caps the frames this side reads (never above the limit it was built with): a listener reads
   * only small frames until the handshake is done, so buffering is bounded per stranger.
   */
  limitInboundFrames(bytes: number): void {
    this.decoder.maxFrameBytes = Math.min(bytes, this.maxFrameBytes);
  }

  /** Encodes and writes a frame; false when the socket's buffer is full (wait for drain). */
  write(frame: Frame): boolean {
    return this.writePayload(encodePayload(frame));
  }

  writePayload(payload: Uint8Array): boolean {
    if (this.closed) return false;
    if (payload.length > this.maxFrameBytes) {
      this.close(new FrameError(`refusing to send a frame of ${payload.length} bytes (limit ${this.maxFrameBytes})`));
      return false;
    }
    this.bytesWritten += payload.length + 4;
    this.socket.cork();
    this.socket.write(frameHeader(payload.length));
    const ok = this.socket.write(payload);
    this.socket.uncork();
    return ok;
  }

  /** Resolves when the socket can take more, or the socket closes (check isClosed). */
  drained(): Promise<void> {
    if (this.closed || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** Flushes what was written, then closes. */
  end(): void {
    if (!this.closed) this.socket.end();
  }

  close(error?: KvError): void {
    this.finish(error, false);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.bytesRead += chunk.length;
    let payloads: Uint8Array[];
    try {
      payloads = this.decoder.push(chunk);
    } catch (err) {
      this.finish(err as KvError, true);
      return;
    }
    for (const payload of payloads) {
      if (this.closed) return;
      let frame: Frame;
      try {
        frame = decodeFrame(payload);
      } catch (err) {
        this.finish(err as KvError, true);
        return;
      }
      this.events.onFrame(frame);
    }
  }

  private finish(error: KvError | undefined, malformed: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.events.onClose(error, malformed);
  }
}
