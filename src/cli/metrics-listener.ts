/**
 * etcd's `--listen-metrics-urls`: extra listeners that serve only /metrics and /health (and
 * /version), so a scraper or a load balancer's health check need not reach the client port.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { KV } from '../api/kv.js';
import { statusRoutes, type VersionInfo } from '../http/routes/status.js';

export interface MetricsListenerOptions {
  readonly service: KV;
  readonly registry: Registry;
  readonly version: VersionInfo;
  readonly healthTimeoutMs: number;
}

export async function listenMetrics(urls: readonly string[], o: MetricsListenerOptions): Promise<{ apps: FastifyInstance[]; urls: string[] }> {
  const apps: FastifyInstance[] = [];
  const bound: string[] = [];
  try {
    for (const raw of urls) {
      const url = new URL(raw);
      const app = Fastify({ logger: false, forceCloseConnections: true });
      statusRoutes(app, o);
      apps.push(app);
      bound.push(await app.listen({ host: url.hostname, port: Number(url.port) }));
    }
  } catch (err) {
    for (const app of apps) await app.close();
    throw err;
  }
  return { apps, urls: bound };
}
