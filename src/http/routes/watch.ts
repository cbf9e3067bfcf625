/**
 * `/v3/watch`: etcd's bidirectional Watch stream over HTTP/1.1 (etcd-gateway.md §1.5, §2.3).
 * Requests are read from the body while responses stream out; the response stays open after
 * the body ends (the client hangs up to stop), and every watch is cancelled when it does.
 */
import type { FastifyInstance } from 'fastify';
import type { WatchRequest } from '../../api/kv.js';
import { encodeMessage } from '../../api/json.js';
import { WatchRequestDesc, WatchResponseDesc } from '../../api/json/messages-watch.js';
import type { HttpContext } from '../context.js';
import { sendError } from '../errors.js';
import { ResultStream } from '../stream.js';
import { StreamBody } from '../stream-body.js';

export function watchRoutes(app: FastifyInstance, ctx: HttpContext): void {
  ctx.gatewayPaths.add('/v3/watch');
  app.post('/v3/watch', async (request, reply) => {
    const body = new StreamBody<WatchRequest | undefined>(request.raw, WatchRequestDesc, ctx.limits.grpcMessageBytes);
    let first;
    try {
      first = await body.first();
    } catch (err) {
      return sendError(reply, err);
    }
    reply.hijack();
    const out = new ResultStream(reply.raw);
    let stream;
    try {
      stream = ctx.service.watch();
    } catch (err) {
      out.fail(err);
      return;
    }
    const watchStream = stream;
    reply.raw.on('close', () => watchStream.close());
    if (!first.done && first.value !== undefined) watchStream.send(first.value);
    // Requests keep arriving while responses stream out.
    void (async () => {
      for await (const req of body.rest()) {
        if (out.closed) break;
        if (req !== undefined) watchStream.send(req);
      }
    })();
    try {
      for await (const res of watchStream) {
        await out.write(encodeMessage(WatchResponseDesc, res));
        if (out.closed) break;
      }
      out.end();
    } catch (err) {
      out.fail(err);
    } finally {
      watchStream.close();
    }
  });
}
