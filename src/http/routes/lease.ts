/**
 * `/v3/lease/*` (and etcd's `/v3/kv/lease/*` aliases): the Lease service. Keepalive is a stream
 * as in etcd: one `{"result":…}` line per `{"ID":…}` read, in order, ending once the request body
 * ends and every ID has been answered.
 */
import type { FastifyInstance } from 'fastify';
import type { LeaseKeepAliveRequest } from '../../api/kv.js';
import { encodeMessage } from '../../api/json.js';
import {
  LeaseGrantRequestDesc,
  LeaseGrantResponseDesc,
  LeaseKeepAliveRequestDesc,
  LeaseKeepAliveResponseDesc,
  LeaseLeasesRequestDesc,
  LeaseLeasesResponseDesc,
  LeaseRevokeRequestDesc,
  LeaseRevokeResponseDesc,
  LeaseTimeToLiveRequestDesc,
  LeaseTimeToLiveResponseDesc,
} from '../../api/json/messages-lease.js';
import type { HttpContext } from '../context.js';
import { bidiRoute } from '../stream-body.js';
import { unaryRoute } from '../unary.js';

function keepAliveRoute(app: FastifyInstance, ctx: HttpContext): void {
  bidiRoute<LeaseKeepAliveRequest>(app, ctx, '/v3/lease/keepalive', LeaseKeepAliveRequestDesc, async (messages, out) => {
    try {
      for await (const req of messages) {
        if (out.closed) break;
        const res = await ctx.service.leaseKeepAlive(req);
        await out.write(encodeMessage(LeaseKeepAliveResponseDesc, res));
      }
      out.end();
    } catch (err) {
      out.fail(err);
    }
  });
}

export function leaseRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { service } = ctx;
  unaryRoute(app, ctx, {
    paths: ['/v3/lease/grant'],
    request: LeaseGrantRequestDesc,
    response: LeaseGrantResponseDesc,
    call: (req) => service.leaseGrant(req),
  });
  unaryRoute(app, ctx, {
    paths: ['/v3/lease/revoke', '/v3/kv/lease/revoke'],
    request: LeaseRevokeRequestDesc,
    response: LeaseRevokeResponseDesc,
    call: (req) => service.leaseRevoke(req),
  });
  unaryRoute(app, ctx, {
    paths: ['/v3/lease/timetolive', '/v3/kv/lease/timetolive'],
    request: LeaseTimeToLiveRequestDesc,
    response: LeaseTimeToLiveResponseDesc,
    call: (req) => service.leaseTimeToLive(req),
  });
  unaryRoute(app, ctx, {
    paths: ['/v3/lease/leases', '/v3/kv/lease/leases'],
    request: LeaseLeasesRequestDesc,
    response: LeaseLeasesResponseDesc,
    call: () => service.leaseLeases(),
  });
  keepAliveRoute(app, ctx);
}
