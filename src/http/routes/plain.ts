/**
 * The plain key API for curl and browsers: `GET/PUT/DELETE /kv/<key>` with raw bodies, the
 * key's mod_revision as its `ETag`, `If-Match` compare-and-swap (412 on mismatch), `?prefix`
 * listings as gateway JSON, `?lease=<id>` on PUT and `?watch` as Server-Sent Events.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Compare, KeyValue, PutRequest, RequestOp, ResponseHeader, ResponseOp } from '../../api/kv.js';
import { assert } from '../../util/assert.js';
import { encodeMessage, errorBodyJson, protoSize } from '../../api/json.js';
import { DeleteRangeResponseDesc, PutRequestDesc, RangeResponseDesc } from '../../api/json/messages-kv.js';
import { GrpcCode, KvError } from '../../util/errors.js';
import { readBody } from '../body.js';
import type { HttpContext } from '../context.js';
import { challenge } from '../credentials.js';
import { sendError, sendPlainError } from '../errors.js';
import { raftRequestSize } from '../limits.js';
import { sendJson } from '../reply.js';
import { conditionOf, etagOf, intParam, parsePlainRequest, PLAIN_ROUTE, rangeOf } from './plain-request.js';
import type { Condition, PlainRequest } from './plain-request.js';
import { watchAsEventStream } from './plain-watch.js';

function compareFor(key: Uint8Array, cond: Condition): Compare[] {
  switch (cond.kind) {
    case 'none': return [];
    case 'exists': return [{ key, target: 'CREATE', result: 'GREATER', createRevision: 0 }];
    case 'absent': return [{ key, target: 'CREATE', result: 'EQUAL', createRevision: 0 }];
    case 'modRevision': return [{ key, target: 'MOD', result: 'EQUAL', modRevision: cond.revision }];
  }
}

function withRevision(reply: FastifyReply, header: ResponseHeader): FastifyReply {
  return reply.header('x-cairn-revision', String(header.revision));
}

function notFound(reply: FastifyReply): FastifyReply {
  return sendJson(reply, 404, errorBodyJson(GrpcCode.NotFound, 'cairn: key not found'));
}

function preconditionFailed(reply: FastifyReply, current: KeyValue | undefined): FastifyReply {
  const modRevision = current?.modRevision ?? 0;
  reply.header('etag', etagOf(modRevision));
  const message = `cairn: precondition failed: mod_revision is ${modRevision}`;
  return sendJson(reply, 412, errorBodyJson(GrpcCode.FailedPrecondition, message));
}

/** Runs `op` only if the condition holds; answers the current kv when it does not. */
async function guarded(
  ctx: HttpContext,
  key: Uint8Array,
  cond: Condition,
  op: RequestOp,
): Promise<{ ok: true; response: ResponseOp } | { ok: false; current: KeyValue | undefined }> {
  const txn = await ctx.service.txn({
    compare: compareFor(key, cond),
    success: [op],
    failure: [{ type: 'range', request: { key } }],
  });
  const first = txn.responses[0];
  assert(first !== undefined, 'txn answered no response for its one op');
  if (!txn.succeeded) return { ok: false, current: first.type === 'range' ? first.response.kvs[0] : undefined };
  assert(first.type === op.type, 'txn answered another kind of op');
  return { ok: true, response: first };
}

async function getKey(ctx: HttpContext, reply: FastifyReply, raw: IncomingMessage, req: PlainRequest): Promise<FastifyReply> {
  const range = rangeOf(req);
  const revision = intParam(req.query, 'rev');
  if (req.prefix) {
    const res = await ctx.service.range({ ...range, revision, limit: intParam(req.query, 'limit') });
    return sendJson(withRevision(reply, res.header), 200, encodeMessage(RangeResponseDesc, res));
  }
  const res = await ctx.service.range({ ...range, revision });
  const kv = res.kvs[0];
  withRevision(reply, res.header);
  if (kv === undefined) return notFound(reply);
  reply
    .header('etag', etagOf(kv.modRevision))
    .header('x-cairn-create-revision', String(kv.createRevision))
    .header('x-cairn-version', String(kv.version))
    .header('x-cairn-lease', String(kv.lease));
  if (raw.headers['if-none-match']?.split(',').some((t) => t.trim() === etagOf(kv.modRevision))) {
    return reply.code(304).send();
  }
  return reply.code(200).header('content-type', 'application/octet-stream').send(Buffer.from(kv.value));
}

async function putKey(ctx: HttpContext, reply: FastifyReply, raw: IncomingMessage, req: PlainRequest): Promise<FastifyReply> {
  if (req.key.length === 0) throw new KvError('EmptyKey');
  const value = new Uint8Array(await readBody(raw, ctx.limits.grpcMessageBytes));
  const put: PutRequest = { key: req.key, value, lease: BigInt(intParam(req.query, 'lease')), prevKv: true };
  if (raftRequestSize(protoSize(PutRequestDesc, put)) > ctx.limits.maxRequestBytes) throw new KvError('RequestTooLarge');
  const cond = conditionOf(raw);
  let header: ResponseHeader;
  let created: boolean;
  if (cond.kind === 'none') {
    const res = await ctx.service.put(put);
    header = res.header;
    created = res.prevKv === undefined;
  } else {
    const res = await guarded(ctx, req.key, cond, { type: 'put', request: put });
    if (!res.ok) return preconditionFailed(reply, res.current);
    assert(res.response.type === 'put', 'put answered');
    header = res.response.response.header;
    created = res.response.response.prevKv === undefined;
  }
  return withRevision(reply, header).header('etag', etagOf(header.revision)).code(created ? 201 : 204).send();
}

async function deleteKey(ctx: HttpContext, reply: FastifyReply, raw: IncomingMessage, req: PlainRequest): Promise<FastifyReply> {
  const range = rangeOf(req);
  if (req.prefix) {
    const res = await ctx.service.deleteRange(range);
    return sendJson(withRevision(reply, res.header), 200, encodeMessage(DeleteRangeResponseDesc, res));
  }
  const cond = conditionOf(raw);
  let deleted: number;
  let header: ResponseHeader;
  if (cond.kind === 'none') {
    ({ deleted, header } = await ctx.service.deleteRange(range));
  } else {
    const res = await guarded(ctx, req.key, cond, { type: 'deleteRange', request: range });
    if (!res.ok) return preconditionFailed(reply, res.current);
    assert(res.response.type === 'deleteRange', 'delete answered');
    ({ deleted, header } = res.response.response);
  }
  withRevision(reply, header);
  return deleted === 0 ? notFound(reply) : reply.code(204).send();
}

type PlainHandler = (ctx: HttpContext, reply: FastifyReply, raw: IncomingMessage, req: PlainRequest) => Promise<FastifyReply>;

export function plainRoutes(app: FastifyInstance, ctx: HttpContext, sseHeartbeatMs: number): void {
  const handle =
    (fn: PlainHandler) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      try {
        // The handlers call `ctx.service`: here, the member as this request's caller sees it.
        return await fn({ ...ctx, service: ctx.serviceFor(request) }, reply, request.raw, parsePlainRequest(request.originalUrl));
      } catch (err) {
        const status = challenge(reply, err);
        return status === undefined ? sendError(reply, err) : sendPlainError(reply, status, (err as Error).message);
      }
    };
  app.get(
    PLAIN_ROUTE,
    handle(async (c, reply, raw, req) =>
      req.query.has('watch') ? watchAsEventStream(c, reply, raw, req, sseHeartbeatMs) : getKey(c, reply, raw, req),
    ),
  );
  app.put(PLAIN_ROUTE, handle(putKey));
  app.delete(PLAIN_ROUTE, handle(deleteKey));
}
