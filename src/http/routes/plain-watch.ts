/**
 * `GET /kv/<key>?watch[&prefix][&rev=N][&prev_kv]` as Server-Sent Events. One SSE message per
 * watch response (a whole revision, so never split), `id:` = its revision and `data:` = gateway
 * JSON `{"revision":"R","events":[…]}`. A browser's EventSource reconnects with
 * `Last-Event-ID: R` and the watch resumes at R+1 with nothing lost or repeated (etcd's
 * Resumable guarantee), as long as R+1 is not compacted; compaction ends the stream with an
 * `event: compacted` message naming the compact revision.
 *
 * Watches are created with etcd's `fragment`, so a revision larger than the fragment threshold
 * (a big txn, or a range delete with prev_kv) arrives in pieces instead of as one message a
 * browser must hold whole: every piece but the last has `"fragment":true` in its data and no
 * `id:`, so a reconnect after a partial revision resumes at that revision, not after it.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { WatchResponse } from '../../api/kv.js';
import { errorBodyJson } from '../../api/json.js';
import { KvError } from '../../util/errors.js';
import { longLived } from '../connection-limits.js';
import type { HttpContext } from '../context.js';
import { toKvError } from '../errors.js';
import { writePieces } from '../stream.js';
import { eventJson } from '../watch-encode.js';
import { intParam, rangeOf } from './plain-request.js';
import type { PlainRequest } from './plain-request.js';

function startRevisionOf(raw: IncomingMessage, req: PlainRequest): number {
  const header = raw.headers['last-event-id'];
  if (header === undefined) return intParam(req.query, 'rev');
  const lastEventId = String(header).trim();
  if (!/^\d+$/.test(lastEventId)) throw new KvError('InvalidArgument', 'cairn: Last-Event-ID must be a revision');
  return Number(lastEventId) + 1;
}

/**
 * The SSE text for one watch response, in pieces (each event's JSON is shared with every other
 * stream that carries it, see watch-encode.ts); `last` ends the stream.
 */
function sseMessage(res: WatchResponse): { pieces: string[]; last: boolean } {
  if (res.canceled) {
    if (res.compactRevision) {
      return { pieces: [`event: compacted\ndata: {"compact_revision":"${res.compactRevision}"}\n\n`], last: true };
    }
    return { pieces: [`event: canceled\ndata: ${JSON.stringify({ reason: res.cancelReason ?? '' })}\n\n`], last: true };
  }
  if (res.created) return { pieces: [`: watching at revision ${res.header.revision}\n\n`], last: false };
  const events = res.events ?? [];
  const revision = res.header.revision;
  if (events.length === 0) return { pieces: [`id: ${revision}\n: progress\n\n`], last: false };
  const head = res.fragment ? `data: {"revision":"${revision}","fragment":true,"events":[` : `id: ${revision}\ndata: {"revision":"${revision}","events":[`;
  const pieces = [head];
  events.forEach((e, i) => pieces.push(...(i === 0 ? [] : [',']), eventJson(e)));
  pieces.push(']}\n\n');
  return { pieces, last: false };
}

export async function watchAsEventStream(
  ctx: HttpContext,
  reply: FastifyReply,
  raw: IncomingMessage,
  req: PlainRequest,
  heartbeatMs: number,
): Promise<FastifyReply> {
  const range = rangeOf(req);
  const startRevision = startRevisionOf(raw, req);
  // Auth (and a bad range) must answer before the 200 goes out, as a status rather than an
  // event: a one-key serializable read of the watched range needs the same READ permission.
  await ctx.service.range({ ...range, limit: 1, keysOnly: true, serializable: true });
  const stream = ctx.service.watch();
  reply.hijack();
  longLived(raw);
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  // A client that does not read gets no more heartbeats piling up in its buffer.
  const heartbeat = setInterval(() => res.writableNeedDrain || res.write(': heartbeat\n\n'), heartbeatMs);
  res.on('close', () => {
    clearInterval(heartbeat);
    stream.close();
  });
  stream.send({ type: 'create', request: { ...range, startRevision, prevKv: req.query.has('prev_kv'), fragment: true } });
  try {
    for await (const wr of stream) {
      const msg = sseMessage(wr);
      await writePieces(res, msg.pieces);
      if (msg.last || res.destroyed) break;
    }
  } catch (err) {
    const e = toKvError(err);
    res.write(`event: error\ndata: ${errorBodyJson(e.grpcCode, e.message)}\n\n`);
  } finally {
    clearInterval(heartbeat);
    stream.close();
    res.end();
  }
  return reply;
}
