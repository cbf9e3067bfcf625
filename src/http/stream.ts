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

export class ResultStream {
  private wroteHeader = false;

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
    if (this.closed) return;
    this.head(200);
    if (!this.res.write(`{"result":${messageJson}}\n`)) await drained(this.res);
  }

  fail(err: unknown): void {
    if (this.closed) return;
    this.head(httpStatusFromGrpc(toKvError(err).grpcCode));
    this.res.end(streamErrorChunk(err));
  }

  end(): void {
    if (this.closed) return;
    this.head(200);
    this.res.end();
  }
}
