/** `/v3/cluster/member/*`: etcd's Cluster service over the gateway. */
import type { FastifyInstance } from 'fastify';
import { UNARY } from '../../api/rpcs.js';
import type { HttpContext } from '../context.js';
import { unaryRoute } from '../unary.js';

export function clusterRoutes(app: FastifyInstance, ctx: HttpContext): void {
  unaryRoute(app, ctx, UNARY.memberList, (req, service) => service.memberList(req));
  unaryRoute(app, ctx, UNARY.memberAdd, (req, service) => service.memberAdd(req));
  unaryRoute(app, ctx, UNARY.memberRemove, (req, service) => service.memberRemove(req));
  unaryRoute(app, ctx, UNARY.memberUpdate, (req, service) => service.memberUpdate(req));
  unaryRoute(app, ctx, UNARY.memberPromote, (req, service) => service.memberPromote(req));
}
