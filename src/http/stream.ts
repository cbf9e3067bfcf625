/**
 * etcd's streaming gateway responses (etcd-gateway.md §1.5): HTTP 200, chunked, each message as
 * `{"result":<message>}\n` flushed on its own; a failure ends the stream with grpc-gateway's
 * `{"error":{…}}` chunk, carrying the mapped HTTP status if nothing was written yet. Writes wait
 * for the socket to drain, so a slow reader slows the producer instead of growing a buffer.
 */
import type { ServerResponse } from 'node:http';
import { httpStatusFromGrpc } from '../util/errors.js';
import { streamErrorChunk, toKvError } from './errors.js';

/** Resolves once the response can take more bytes, or has closed (no listener is left behind). */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Messages up to this many characters are joined and written at once; bigger ones in groups of about this size. */
const SMALL_MESSAGE_CHARS = 16 * 1024;

/**
 * Writes one message given in pieces, a group of pieces at a time, each group once the socket
 * took the one before, so a client that stops reading holds at most one group beyond what the
 * socket buffers. Pieces are joined into groups of about SMALL_MESSAGE_CHARS: one write per
 * piece (one watch event, ~200 bytes) sent a chunk each, and a reader paid per chunk (chaos
 * finding F4). A small message goes out in one write (one chunk, one syscall).
 */
export async function writePieces(res: ServerResponse, pieces: readonly string[]): Promise<void> {
  let group: string[] = [];
  let length = 0;
  for (const piece of pieces) {
    group.push(piece);
    length += piece.length;
    if (length < SMALL_MESSAGE_CHARS) continue;
    if (res.destroyed || res.writableEnded) return;
    if (!res.write(group.join(''))) await drained(res);
    group = [];
    length = 0;
  }
  if (group.length > 0 && !res.destroyed && !res.writableEnded && !res.write(group.join(''))) await drained(res);
}

export class ResultStream {
  private wroteHeader = false;
  /** Messages queued by `queueParts`, written together once the producer pauses. */
  private queued: string[] = [];
  private queuedChars = 0;
  private flushScheduled = false;
  /** Set while the socket is full after a flush: the next `queueParts` waits for it. */
  private blocked: Promise<void> | undefined;

  constructor(private readonly res: ServerResponse) {}

  /** True once the client has gone or the stream has ended. */
  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  private head(status: number): void {
    if (this.wroteHeader) return;
    this.wroteHeader = true;
    this.res.writeHead(status, { 'content-type': 'application/json' });
  }

  /** Writes one message (already JSON); resolves when the socket can take more. */
  async write(messageJson: string): Promise<void> {
    await this.writeParts([messageJson]);
  }

  /**
   * Writes one message given as pieces of its JSON, in groups (see writePieces): a client that
   * stops reading holds at most one group beyond what the socket buffers.
   */
  async writeParts(pieces: Iterable<string>): Promise<void> {
    if (this.closed) return;
    this.head(200);
    await writePieces(this.res, ['{"result":', ...pieces, '}\n']);
  }

  /**
   * Queues one message given as pieces; returns a promise to wait for only when the socket is
   * full (it resolves once drained) or the queue reached SMALL_MESSAGE_CHARS; a message
   * that big on its own is written as `writeParts` does, after what was queued. What is
   * queued goes out in one write when the producer next yields to the event loop: a watch stream
   * with 100 watchers of a key gets one chunk per revision instead of 100 (issue 18: a write per
   * response made socket writes a fifth of a 10,000-watcher fan-out). Call `end` or `fail` to
   * finish: both write what is queued first.
   */
  queueParts(pieces: readonly string[]): Promise<void> | undefined {
    // Undefined, not a resolved promise, when there is nothing to wait for: this runs once per
    // watcher per revision, and the caller skips an await.
    if (this.blocked !== undefined) return this.blocked.then(() => this.queueParts(pieces));
    if (this.closed) return undefined;
    let chars = 0;
    for (const piece of pieces) chars += piece.length;
    if (chars >= SMALL_MESSAGE_CHARS) {
      // A big message keeps writePieces' bound: groups written under backpressure, never one copy.
      this.flushQueued();
      return (this.blocked ?? Promise.resolve()).then(() => {
        if (this.closed) return undefined;
        this.head(200);
        return writePieces(this.res, ['{"result":', ...pieces, '}\n']);
      });
    }
    this.queued.push('{"result":');
    for (const piece of pieces) this.queued.push(piece);
    this.queued.push('}\n');
    this.queuedChars += chars;
    if (this.queuedChars >= SMALL_MESSAGE_CHARS) {
      this.flushQueued();
      return this.blocked;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushQueued());
    }
    return undefined;
  }

  private flushQueued(): void {
    this.flushScheduled = false;
    if (this.queued.length === 0) return;
    const text = this.queued.join('');
    this.queued = [];
    this.queuedChars = 0;
    if (this.closed) return;
    this.head(200);
    if (!this.res.write(text)) {
      const blocked = drained(this.res).then(() => {
        if (this.blocked === blocked) this.blocked = undefined;
      });
      this.blocked = blocked;
    }
  }

  fail(err: unknown): void {
    this.flushQueued();
    if (this.closed) return;
    this.head(httpStatusFromGrpc(toKvError(err).grpcCode));
    this.res.end(streamErrorChunk(err));
  }

  end(): void {
    this.flushQueued();
    if (this.closed) return;
    this.head(200);
    this.res.end();
  }
}
