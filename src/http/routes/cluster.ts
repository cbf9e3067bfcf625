/** `/v3/cluster/member/*`: etcd's Cluster service over the gateway. */
import type { FastifyInstance } from 'fastify';
import {
  MemberAddRequestDesc,
  MemberAddResponseDesc,
  MemberListRequestDesc,
  MemberListResponseDesc,
  MemberPromoteRequestDesc,
  MemberRemoveRequestDesc,
  MemberRemoveResponseDesc,
  MemberUpdateRequestDesc,
} from '../../api/json/messages-cluster.js';
import type { HttpContext } from '../context.js';
import { unaryRoute } from '../unary.js';

export function clusterRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { service } = ctx;
  unaryRoute(app, ctx, {
    paths: ['/v3/cluster/member/list'],
    request: MemberListRequestDesc,
    response: MemberListResponseDesc,
    call: (req) => service.memberList(req),
  });
  unaryRoute(app, ctx, {
    paths: ['/v3/cluster/member/add'],
    request: MemberAddRequestDesc,
    response: MemberAddResponseDesc,
    call: (req) => service.memberAdd(req),
  });
  unaryRoute(app, ctx, {
    paths: ['/v3/cluster/member/remove'],
    request: MemberRemoveRequestDesc,
    response: MemberRemoveResponseDesc,
    call: (req) => service.memberRemove(req),
  });
  unaryRoute(app, ctx, {
    paths: ['/v3/cluster/member/update'],
    request: MemberUpdateRequestDesc,
    response: MemberRemoveResponseDesc,
    call: (req) => service.memberUpdate(req),
  });
  unaryRoute(app, ctx, {
    paths: ['/v3/cluster/member/promote'],
    request: MemberPromoteRequestDesc,
    response: MemberRemoveResponseDesc,
    call: (req) => service.memberPromote(req),
  });
}
