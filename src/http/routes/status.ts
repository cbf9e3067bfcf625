/**
 * Non-gateway endpoints on the client port: `/health` (etcd 3.5's shape and checks: an active
 * alarm, no leader, then a read that must succeed in time), `/version`, `/metrics`.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { KV } from '../../api/kv.js';
import { utf8 } from '../../util/bytes.js';
import { toKvError } from '../errors.js';
import { sendJson } from '../reply.js';

export interface VersionInfo {
  readonly etcdserver: string;
  readonly etcdcluster: string;
}

export interface StatusRouteOptions {
  readonly service: KV;
  readonly version: VersionInfo;
  readonly registry: Registry | undefined;
  readonly healthTimeoutMs: number;
}

interface Health {
  readonly health: 'true' | 'false';
  readonly reason: string;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('context deadline exceeded')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** etcd's checkHealth: alarms first, then a leader, then a range of key "health". */
async function checkHealth(service: KV, serializable: boolean, timeoutMs: number): Promise<Health> {
  try {
    const { alarms } = await withTimeout(service.alarm({ action: 'GET' }), timeoutMs);
    const active = alarms.filter((a) => a.alarm !== 'NONE');
    if (active.length > 0) return { health: 'false', reason: active.map((a) => `ALARM ${a.alarm}`).join(',') };
    const status = await withTimeout(service.status(), timeoutMs);
    if (status.leader === 0n) return { health: 'false', reason: 'RAFT NO LEADER' };
    await withTimeout(service.range({ key: utf8('health'), serializable }), timeoutMs);
    return { health: 'true', reason: '' };
  } catch (err) {
    return { health: 'false', reason: `QGET ERROR:${toKvError(err).message}` };
  }
}

export function statusRoutes(app: FastifyInstance, opts: StatusRouteOptions): void {
  app.get('/health', async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const h = await checkHealth(opts.service, query['serializable'] === 'true', opts.healthTimeoutMs);
    return sendJson(reply, h.health === 'true' ? 200 : 503, JSON.stringify(h));
  });
  app.get('/version', async (_request, reply) => sendJson(reply, 200, JSON.stringify(opts.version)));
  const registry = opts.registry;
  if (registry !== undefined) {
    app.get('/metrics', async (_request, reply) =>
      reply.header('content-type', registry.contentType).send(await registry.metrics()),
    );
  }
}
