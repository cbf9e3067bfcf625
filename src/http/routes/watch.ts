/**
 * `/v3/watch`: etcd's bidirectional Watch stream over HTTP/1.1 (etcd-gateway.md §1.5, §2.3).
 * Requests are read from the body while responses stream out; the response stays open after
 * the body ends (the client hangs up to stop), and every watch is cancelled when it does.
 */
import type { FastifyInstance } from 'fastify';
import type { WatchRequest, WatchResponse, WatchStream } from '../../api/kv.js';
import { STREAMING } from '../../api/rpcs.js';
import type { HttpContext } from '../context.js';
import { bidiRoute } from '../stream-body.js';
import { watchResponseJson } from '../watch-encode.js';

export function watchRoutes(app: FastifyInstance, ctx: HttpContext): void {
  bidiRoute<WatchRequest | undefined>(app, ctx, STREAMING.watch.path, STREAMING.watch.request, async (messages, out, res, service) => {
    let stream: WatchStream;
    try {
      stream = service.watch();
    } catch (err) {
      out.fail(err);
      return;
    }
    res.on('close', () => stream.close());
    // Requests keep arriving while responses stream out.
    void (async () => {
      for await (const req of messages) {
        if (out.closed) break;
        if (req !== undefined) stream.send(req);
      }
    })();
    try {
      for await (const first of stream) {
        // Then whatever else is buffered, without a promise per response (issue 18).
        for (let wr: WatchResponse | undefined = first; wr !== undefined && !out.closed; wr = stream.takeReady?.()) {
          const wait = out.queueParts(watchResponseJson(wr));
          if (wait !== undefined) await wait;
        }
        if (out.closed) break;
      }
      out.end();
    } catch (err) {
      out.fail(err);
    } finally {
      stream.close();
    }
  });
}
