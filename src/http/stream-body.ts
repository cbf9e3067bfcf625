/**
 * A streamed request body as a sequence of messages (etcd-gateway.md §1.5). The first message
 * is read before the stream starts: a failure there is the caller's to report (grpc-gateway
 * answers it unary-style, HTTP 500 code 2). Later failures only end the sequence, as the gateway
 * just closes the send side.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { KV } from '../api/kv.js';
import { decodeMessage, JsonStreamReader } from '../api/json.js';
import type { MessageDesc } from '../api/json.js';
import type { JsonValue } from '../api/json/parse.js';
import { KvError } from '../util/errors.js';
import { longLived } from './connection-limits.js';
import type { HttpContext } from './context.js';
import { sendError, toKvError } from './errors.js';
import { ResultStream } from './stream.js';

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
      throw new KvError('Unknown', toKvError(err).message);
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
}

/**
 * Registers a bidirectional streaming RPC (etcd's watch and lease keepalive): the first message
 * is read before anything is written, so its failure answers unary-style; then the reply is
 * taken over and `run` gets every message (first included) and the result stream.
 */
export function bidiRoute<T>(
  app: FastifyInstance,
  ctx: HttpContext,
  path: string,
  desc: MessageDesc<T>,
  /** `service`: the member as this request's caller sees it (ctx.serviceFor). */
  run: (messages: AsyncIterable<T>, out: ResultStream, res: ServerResponse, service: KV) => Promise<void>,
): void {
  ctx.gatewayPaths.add(path);
  app.post(path, async (request, reply) => {
    // JSON text is larger than the protobuf it stands for: bound it by the raw-body cap.
    const body = new StreamBody<T>(request.raw, desc, ctx.limits.rawBodyBytes);
    let first: Awaited<ReturnType<StreamBody<T>['first']>>;
    try {
      first = await body.first();
    } catch (err) {
      return sendError(reply, err);
    }
    reply.hijack();
    longLived(request.raw);
    // A client still sending after the response ended would otherwise hold the socket open.
    reply.raw.once('finish', () => {
      if (!request.raw.complete) request.raw.destroy();
    });
    async function* messages(): AsyncGenerator<T> {
      if (!first.done) yield first.value;
      yield* body.rest();
    }
    await run(messages(), new ResultStream(reply.raw), reply.raw, ctx.serviceFor(request));
  });
}
