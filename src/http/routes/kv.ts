/** `/v3/kv/*`: etcd's KV service over the gateway. */
import type { FastifyInstance } from 'fastify';
import type { RequestOp, TxnRequest } from '../../api/kv.js';
import { UNARY } from '../../api/rpcs.js';
import type { HttpContext } from '../context.js';
import { unaryRoute } from '../unary.js';

const isReadOp = (op: RequestOp): boolean =>
  op.type === 'range' || (op.type === 'txn' && isReadOnlyTxn(op.request));

/** etcd serves a txn without writes as a read (no raft proposal, so no proposal size limit). */
export function isReadOnlyTxn(txn: TxnRequest): boolean {
  return (txn.success ?? []).every(isReadOp) && (txn.failure ?? []).every(isReadOp);
}

const always = (): boolean => true;

export function kvRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { service } = ctx;
  unaryRoute(app, ctx, UNARY.range, (req) => service.range(req));
  unaryRoute(app, ctx, UNARY.put, (req) => service.put(req), always);
  unaryRoute(app, ctx, UNARY.deleteRange, (req) => service.deleteRange(req), always);
  unaryRoute(app, ctx, UNARY.txn, (req) => service.txn(req), (req) => !isReadOnlyTxn(req));
  unaryRoute(app, ctx, UNARY.compact, (req) => service.compact(req));
}
