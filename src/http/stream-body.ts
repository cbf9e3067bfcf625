/**
 * A streamed request body as a sequence of messages (etcd-gateway.md §1.5). The first message
 * is read before the stream starts: a failure there is the caller's to report (grpc-gateway
 * answers it unary-style, HTTP 500 code 2). Later failures only end the sequence, as the gateway
 * just closes the send side.
 */
import type { IncomingMessage } from 'node:http';
import { decodeMessage, JsonStreamReader } from '../api/json.js';
import type { MessageDesc } from '../api/json.js';
import type { JsonValue } from '../api/json/parse.js';
import { GrpcCode } from '../util/errors.js';
import { WireError } from '../api/json.js';
import { toKvError } from './errors.js';

async function* jsonValues(req: IncomingMessage, maxMessageBytes: number): AsyncGenerator<JsonValue> {
  const reader = new JsonStreamReader(maxMessageBytes);
  for await (const chunk of req as AsyncIterable<Buffer>) yield* reader.push(chunk);
  yield* reader.end();
}

export class StreamBody<T> {
  private readonly values: AsyncGenerator<JsonValue>;

  constructor(req: IncomingMessage, private readonly desc: MessageDesc<T>, maxMessageBytes: number) {
    this.values = jsonValues(req, maxMessageBytes);
  }

  /**
   * The first message, or `done` for an empty body. Throws a code-2 error (what grpc-gateway
   * makes of a decoder failure before the stream exists).
   */
  async first(): Promise<{ done: true } | { done: false; value: T }> {
    try {
      const next = await this.values.next();
      if (next.done) return { done: true };
      return { done: false, value: decodeMessage(this.desc, next.value) };
    } catch (err) {
      throw new WireError(GrpcCode.Unknown, toKvError(err).message);
    }
  }

  /** The remaining messages; ends quietly at the end of the body or at the first bad message. */
  async *rest(): AsyncGenerator<T> {
    for (;;) {
      let value: T;
      try {
        const next = await this.values.next();
        if (next.done) return;
        value = decodeMessage(this.desc, next.value);
      } catch {
        return;
      }
      yield value;
    }
  }

  /** Stops reading (the client went away or the response ended). */
  async stop(): Promise<void> {
    await this.values.return(undefined).catch(() => undefined);
  }
}
