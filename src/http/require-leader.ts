/**
 * etcd's require-leader metadata: a gateway request carrying `Grpc-Metadata-Hasleader: true`
 * (grpc-gateway forwards it as the `hasleader` key) fails with `etcdserver: no leader` (503)
 * while the member knows no leader, instead of waiting for a request timeout
 * (etcd-gateway.md §5.3, v3rpc interceptor.go).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KV } from '../api/kv.js';
import { KvError } from '../util/errors.js';
import { sendError } from './errors.js';

export function requireLeaderHook(service: KV) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (request.headers['grpc-metadata-hasleader'] !== 'true' || !request.url.startsWith('/v3/')) return undefined;
    const status = await service.status().catch(() => undefined);
    if (status !== undefined && status.leader !== 0n) return undefined;
    return sendError(reply, new KvError('NoLeader'));
  };
}
