/** `/v3/kv/*`: etcd's KV service over the gateway. */
import type { FastifyInstance } from 'fastify';
import type { RequestOp, TxnRequest } from '../../api/kv.js';
import {
  CompactionRequestDesc,
  CompactionResponseDesc,
  DeleteRangeRequestDesc,
  DeleteRangeResponseDesc,
  PutRequestDesc,
  PutResponseDesc,
  RangeRequestDesc,
  RangeResponseDesc,
  TxnRequestDesc,
  TxnResponseDesc,
} from '../../api/json/messages-kv.js';
import type { HttpContext } from '../context.js';
import { unaryRoute } from '../unary.js';

const isReadOp = (op: RequestOp): boolean =>
  op.type === 'range' || (op.type === 'txn' && isReadOnlyTxn(op.request));

/** etcd serves a txn without writes as a read (no raft proposal, so no proposal size limit). */
export function isReadOnlyTxn(txn: TxnRequest): boolean {
  return (txn.success ?? []).every(isReadOp) && (txn.failure ?? []).every(isReadOp);
}

export function kvRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { service } = ctx;
  unaryRoute(app, ctx, {
    paths: ['/v3/kv/range'],
    request: RangeRequestDesc,
    response: RangeResponseDesc,
    call: (req) => service.range(req),
  });
  unaryRoute(app, ctx, {
    paths: ['/v3/kv/put'],
    request: PutRequestDesc,
    response: PutResponseDesc,
    call: (req) => service.put(req),
    proposes: () => true,
  });
  unaryRoute(app, ctx, {
    paths: ['/v3/kv/deleterange'],
    request: DeleteRangeRequestDesc,
    response: DeleteRangeResponseDesc,
    call: (req) => service.deleteRange(req),
    proposes: () => true,
  });
  unaryRoute(app, ctx, {
    paths: ['/v3/kv/txn'],
    request: TxnRequestDesc,
    response: TxnResponseDesc,
    call: (req) => service.txn(req),
    proposes: (req) => !isReadOnlyTxn(req),
  });
  unaryRoute(app, ctx, {
    paths: ['/v3/kv/compaction'],
    request: CompactionRequestDesc,
    response: CompactionResponseDesc,
    call: (req) => service.compact(req),
  });
}
