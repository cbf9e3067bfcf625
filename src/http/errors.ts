/**
 * How the HTTP layer answers failures: etcd's JSON error body with the status grpc-gateway maps
 * the gRPC code to, and Go's plain-text bodies for routing errors (404/405 are `http.Error`).
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';
import { errorBodyJson, streamErrorJson } from '../api/json.js';
import { httpStatusFromGrpc, KvError } from '../util/errors.js';
import { sendJson } from './reply.js';

/** Any failure as a KvError; unexpected ones become code 2 (Unknown) with their text, as etcd does. */
export function toKvError(err: unknown): KvError {
  if (err instanceof KvError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new KvError('Unknown', message);
}

export function statusText(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  // An error that is not etcd's is a bug or an outage somewhere below: keep its stack.
  if (!(err instanceof KvError)) reply.log.error({ err }, 'request failed');
  const e = toKvError(err);
  return sendJson(reply, httpStatusFromGrpc(e.grpcCode), errorBodyJson(e.grpcCode, e.message));
}

/** Go's `http.Error`: text/plain, nosniff, the text plus a newline. */
export function sendPlainError(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/plain; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .send(`${text}\n`);
}

/** The last chunk of a failed stream (grpc-gateway's errorChunk). */
export function streamErrorChunk(err: unknown): string {
  const e = toKvError(err);
  return streamErrorJson(e.grpcCode, e.message, statusText(httpStatusFromGrpc(e.grpcCode)));
}
