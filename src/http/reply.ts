/** Writing JSON replies as etcd does: `Content-Type: application/json`, no charset parameter. */
import type { FastifyReply } from 'fastify';

export function sendJson(reply: FastifyReply, status: number, json: string): FastifyReply {
  // A Buffer payload keeps fastify from appending `; charset=utf-8` to the content type.
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(json, 'utf8'));
}
