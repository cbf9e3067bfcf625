/**
 * `/v3/lock/*` and `/v3/election/*`: etcd's v3lock and v3election services on the gateway, run
 * by the same recipes as over gRPC (src/api/recipes) as the request's caller. A client that
 * hangs up aborts a waiting Lock or Campaign (a Campaign then withdraws its key, as etcd's).
 * Observe is a server stream of `{"result":…}` lines. Both may stay quiet for long, so the
 * connection's body and idle timeouts do not apply to them (connection-limits.ts). Every
 * failure of the recipes is code 2 (HTTP 500) with its text, as etcd's.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { KV } from '../../api/kv.js';
import { encodeMessage } from '../../api/json.js';
import { RECIPES, type Rpc } from '../../api/rpcs.js';
import { campaign, leader, observe, proclaim, resign } from '../../api/recipes/election.js';
import { lock, recipeFailure, unlock } from '../../api/recipes/lock.js';
import { longLived } from '../connection-limits.js';
import type { HttpContext } from '../context.js';
import { sendError } from '../errors.js';
import { ResultStream } from '../stream.js';
import { readRequest, unaryRoute } from '../unary.js';

/** Aborts when the response closes before it is finished: the client went away. */
function hangUpSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

function recipeRoute<Req, Res>(app: FastifyInstance, ctx: HttpContext, rpc: Rpc<Req, Res>, run: (s: KV, req: Req, signal: AbortSignal) => Promise<Res>): void {
  unaryRoute(app, ctx, rpc, (req, service, request, reply) => {
    // A Lock or Campaign may wait, quietly, as long as another holder keeps its key.
    longLived(request.raw);
    return run(service, req, hangUpSignal(reply.raw)).catch((err: unknown) => {
      throw recipeFailure(err);
    });
  });
}

function observeRoute(app: FastifyInstance, ctx: HttpContext): void {
  const { path, request: requestDesc, response } = RECIPES.observe;
  ctx.gatewayPaths.add(path);
  app.post(path, async (request, reply) => {
    let req;
    try {
      req = await readRequest(ctx, request.raw, requestDesc);
    } catch (err) {
      return sendError(reply, err);
    }
    longLived(request.raw);
    reply.hijack();
    const out = new ResultStream(reply.raw);
    try {
      for await (const res of observe(ctx.serviceFor(request), req, hangUpSignal(reply.raw))) {
        if (out.closed) return;
        await out.write(encodeMessage(response, res));
      }
      out.end();
    } catch (err) {
      out.fail(recipeFailure(err));
    }
  });
}

export function recipeRoutes(app: FastifyInstance, ctx: HttpContext): void {
  recipeRoute(app, ctx, RECIPES.lock, lock);
  recipeRoute(app, ctx, RECIPES.unlock, (s, req) => unlock(s, req));
  recipeRoute(app, ctx, RECIPES.campaign, campaign);
  recipeRoute(app, ctx, RECIPES.proclaim, (s, req) => proclaim(s, req));
  recipeRoute(app, ctx, RECIPES.leader, (s, req) => leader(s, req));
  recipeRoute(app, ctx, RECIPES.resign, (s, req) => resign(s, req));
  observeRoute(app, ctx);
}
