/**
 * Reads a request body into memory, bounded. etcd's gateway reads bodies whatever their
 * Content-Type (curl's form default included), so fastify's parsers are bypassed and the raw
 * stream is read here.
 */
import type { IncomingMessage } from 'node:http';
import { KvError } from '../util/errors.js';

function tooLarge(size: number, limit: number): KvError {
  return new KvError('GrpcMessageTooLarge', `grpc: received message larger than max (${size} vs. ${limit})`);
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) throw tooLarge(declared, limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(size, limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
