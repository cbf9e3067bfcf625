/**
 * `/v3/lease/*` (and etcd's `/v3/kv/lease/*` aliases): the Lease service. Keepalive is a stream
 * as in etcd: one `{"result":…}` line per `{"ID":…}` read, in order, ending once the request body
 * ends and every ID has been answered.
 */
import type { FastifyInstance } from 'fastify';
import type { LeaseKeepAliveRequest } from '../../api/kv.js';
import { encodeMessage } from '../../api/json.js';
import { STREAMING, UNARY } from '../../api/rpcs.js';
import type { HttpContext } from '../context.js';
import { bidiRoute } from '../stream-body.js';
import { unaryRoute } from '../unary.js';

function keepAliveRoute(app: FastifyInstance, ctx: HttpContext): void {
  bidiRoute<LeaseKeepAliveRequest>(app, ctx, STREAMING.leaseKeepAlive.path, STREAMING.leaseKeepAlive.request, async (messages, out, _res, service) => {
    try {
      for await (const req of messages) {
        if (out.closed) break;
        const res = await service.leaseKeepAlive(req);
        await out.write(encodeMessage(STREAMING.leaseKeepAlive.response, res));
      }
      out.end();
    } catch (err) {
      out.fail(err);
    }
  });
}

export function leaseRoutes(app: FastifyInstance, ctx: HttpContext): void {
  unaryRoute(app, ctx, UNARY.leaseGrant, (req, service) => service.leaseGrant(req));
  unaryRoute(app, ctx, UNARY.leaseRevoke, (req, service) => service.leaseRevoke(req));
  unaryRoute(app, ctx, UNARY.leaseTimeToLive, (req, service) => service.leaseTimeToLive(req));
  unaryRoute(app, ctx, UNARY.leaseLeases, (_req, service) => service.leaseLeases());
  keepAliveRoute(app, ctx);
}
