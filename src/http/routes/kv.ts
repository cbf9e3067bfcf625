/** `/v3/kv/*`: etcd's KV service over the gateway. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { KV, RangeRequest, RangeResponse, RequestOp, TxnRequest } from '../../api/kv.js';
import type { BudgetLease } from '../../util/byte-budget.js';
import { sendRange } from '../stream-range.js';
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

/**
 * A range holds a lease on the member's range budget from its first value read until its last
 * byte is written: it is charged as values are read and waits while others hold the budget.
 */
function budgetedRange(ctx: HttpContext): {
  call: (req: RangeRequest, service: KV) => Promise<RangeResponse>;
  send: (reply: FastifyReply, res: RangeResponse) => Promise<unknown>;
} {
  const leases = new WeakMap<RangeResponse, BudgetLease>();
  return {
    call: async (req, service) => {
      const lease = ctx.rangeBudget.lease();
      try {
        const res = await service.range(req, { charge: (bytes) => lease.charge(bytes) });
        leases.set(res, lease);
        return res;
      } catch (err) {
        lease.release();
        throw err;
      }
    },
    send: async (reply, res) => {
      try {
        return await sendRange(reply, res);
      } finally {
        leases.get(res)?.release();
      }
    },
  };
}

export function kvRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const range = budgetedRange(ctx);
  unaryRoute(app, ctx, UNARY.range, range.call, undefined, range.send);
  unaryRoute(app, ctx, UNARY.put, (req, service) => service.put(req), always);
  unaryRoute(app, ctx, UNARY.deleteRange, (req, service) => service.deleteRange(req), always);
  unaryRoute(app, ctx, UNARY.txn, (req, service) => service.txn(req), (req) => !isReadOnlyTxn(req));
  unaryRoute(app, ctx, UNARY.compact, (req, service) => service.compact(req));
}
