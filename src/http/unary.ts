/**
 * One unary gateway RPC: POST, the first JSON value of the body decoded into the request,
 * etcd's size limits applied, the service called, the response written as gateway JSON.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KV } from '../api/kv.js';
import { decodeJson, encodeMessage, protoSize } from '../api/json.js';
import type { MessageDesc } from '../api/json.js';
import type { Rpc } from '../api/rpcs.js';
import { KvError } from '../util/errors.js';
import { readBody } from './body.js';
import type { HttpContext } from './context.js';
import { sendError } from './errors.js';
import { raftRequestSize } from './limits.js';
import { sendJson } from './reply.js';

/** Reads and checks a unary request the way etcd's gateway, gRPC server and etcdserver would. */
export async function readRequest<Req>(
  ctx: HttpContext,
  raw: IncomingMessage,
  desc: MessageDesc<Req>,
  proposes?: (req: Req) => boolean,
): Promise<Req> {
  const body = await readBody(raw, ctx.limits.rawBodyBytes);
  const req = decodeJson(desc, body.toString('utf8'));
  const size = protoSize(desc, req);
  if (size > ctx.limits.grpcMessageBytes) {
    throw new KvError('GrpcMessageTooLarge', `grpc: received message larger than max (${size} vs. ${ctx.limits.grpcMessageBytes})`);
  }
  if (proposes?.(req) && raftRequestSize(size) > ctx.limits.maxRequestBytes) throw new KvError('RequestTooLarge');
  return req;
}

/**
 * Serves one unary RPC on its path and etcd's aliases. `proposes` says whether the request
 * becomes a raft proposal, which etcd refuses above max-request-bytes. `send` writes the answer
 * (the JSON of the response by default).
 */
export function unaryRoute<Req, Res>(
  app: FastifyInstance,
  ctx: HttpContext,
  rpc: Rpc<Req, Res>,
  /** `service` is the member as this request's caller sees it (ctx.serviceFor). */
  call: (req: Req, service: KV, request: FastifyRequest, reply: FastifyReply) => Promise<Res>,
  proposes?: (req: Req) => boolean,
  send: (reply: FastifyReply, res: Res) => Promise<unknown> = async (reply, res) => sendJson(reply, 200, encodeMessage(rpc.response, res)),
): void {
  for (const path of [rpc.path, ...rpc.aliases]) {
    ctx.gatewayPaths.add(path);
    app.post(path, async (request, reply) => {
      try {
        const req = await readRequest(ctx, request.raw, rpc.request, proposes);
        const res = await call(req, ctx.serviceFor(request), request, reply);
        return await send(reply, res);
      } catch (err) {
        // A refused body may be only partly read: do not reuse the connection.
        if (err instanceof KvError && err.code === 'GrpcMessageTooLarge') reply.header('connection', 'close');
        return sendError(reply, err);
      }
    });
  }
}
