/**
 * The client-port HTTP server as a fastify app: etcd's v3 JSON gateway, the plain key API and
 * the status endpoints, all translating to calls on one KV service (DESIGN.md "http"). The app
 * is built, not started: the caller listens (or injects, in tests) and closes it.
 */
import Fastify from 'fastify';
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { Registry } from 'prom-client';
import type { Auth, Credentials, KV } from '../api/kv.js';
import { credentialsOf } from './credentials.js';
import { authRoutes } from './routes/auth.js';
import type { HttpContext } from './context.js';
import { DEFAULT_CONNECTION_LIMITS, enforceConnectionLimits, serverOptions, type ConnectionLimits, type LimitLog } from './connection-limits.js';
import { clientCertCommonName, enableClientCertIdentity } from './client-cert.js';
import { corsHook } from './cors.js';
import { hostCheckHook } from './host-check.js';
import { requireLeaderHook } from './require-leader.js';
import { sendError, sendPlainError } from './errors.js';
import { DEFAULT_MAX_REQUEST_BYTES, limitsFor } from './limits.js';
import { clusterRoutes } from './routes/cluster.js';
import { kvRoutes } from './routes/kv.js';
import { leaseRoutes } from './routes/lease.js';
import { maintenanceRoutes } from './routes/maintenance.js';
import { plainRoutes } from './routes/plain.js';
import { PLAIN_PREFIX, routedPlainUrl } from './routes/plain-request.js';
import { statusRoutes } from './routes/status.js';
import { addRpcMetrics } from './rpc-metrics.js';
import type { VersionInfo } from './routes/status.js';
import { recipeRoutes } from './routes/recipes.js';
import { unimplementedRoutes } from './routes/unimplemented.js';
import { watchRoutes } from './routes/watch.js';
import { KvError } from '../util/errors.js';
import { ByteBudget } from '../util/byte-budget.js';
import { DEFAULT_MAX_RESPONSE_BYTES, RANGE_BYTES_IN_FLIGHT_FACTOR } from '../server/config.js';
import { CLUSTER_VERSION, SERVER_VERSION } from '../util/version.js';
import { uiRoutes, type UiRouteOptions } from '../ui/routes.js';

export interface AppOptions {
  readonly service: KV;
  /**
   * The member as one caller sees it (server/auth/caller-service.ts): every request's calls go
   * through it, and `/v3/auth/*` is served. Absent: requests call `service` and auth answers 501.
   */
  readonly caller?: (credentials: Credentials) => KV & Auth;
  /** etcd's --max-request-bytes (1.5 MiB). */
  readonly maxRequestBytes?: number;
  /** Served at /metrics when given. */
  readonly registry?: Registry;
  /** etcd's --cors: allowed origins, `*` for any; none by default (cors.ts). */
  readonly cors?: readonly string[];
  /** Serve HTTPS with these options (certificates, client verification, ALPN; see cli/client-tls.ts). */
  readonly https?: HttpsServerOptions;
  /** With --client-cert-auth: a verified client certificate's CN names the user (client-cert.ts). */
  readonly clientCertIdentity?: boolean;
  /** Host names plain-HTTP requests may carry (host-check.ts); default any (`*`). */
  readonly hostWhitelist?: readonly string[];
  /** What /version reports. */
  readonly version?: VersionInfo;
  /** How long /health waits for each check (etcd uses its request timeout). */
  readonly healthTimeoutMs?: number;
  /** Interval of SSE comment heartbeats that keep idle proxies from closing a watch. */
  readonly sseHeartbeatMs?: number;
  readonly logger?: FastifyServerOptions['logger'];
  /** Connection limits and timeouts (connection-limits.ts); defaults for what is not given. */
  readonly connectionLimits?: Partial<ConnectionLimits>;
  /** Where a refused connection is reported (throttled). */
  readonly warn?: LimitLog;
  /**
   * Bytes of range responses in flight, shared by every listener of a member (default:
   * RANGE_BYTES_IN_FLIGHT_FACTOR times the default --max-response-bytes).
   */
  readonly rangeBudget?: ByteBudget;
  /** The dashboard at /ui (src/ui, docs/ui.md); not served when absent (`--no-ui`). */
  readonly ui?: Omit<UiRouteOptions, 'callerFor'>;
}

export const DEFAULT_VERSION: VersionInfo = { etcdserver: SERVER_VERSION, etcdcluster: CLUSTER_VERSION };

/** etcd rewrites the deprecated `/v3beta/` prefix to `/v3/` (3.4 and 3.5); keys in /kv/ URLs are bytes. */
function rewriteUrl(req: { url?: string }): string {
  const url = req.url ?? '/';
  if (url.startsWith('/v3beta/')) return `/v3/${url.slice('/v3beta/'.length)}`;
  if (url.startsWith(PLAIN_PREFIX)) return routedPlainUrl(url);
  return url;
}

export function buildApp(opts: AppOptions): FastifyInstance {
  const connectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...opts.connectionLimits };
  const app = Fastify({
    ...serverOptions(connectionLimits),
    logger: opts.logger ?? false,
    ...(opts.https !== undefined ? { https: opts.https } : {}),
    rewriteUrl,
    // Open watch streams would otherwise keep close() waiting forever.
    forceCloseConnections: true,
    // A URL the router cannot decode is Go's plain 400, not fastify's JSON.
    frameworkErrors: (_err, _request, reply) => {
      void sendPlainError(reply, 400, 'Bad Request');
    },
  }) as unknown as FastifyInstance;
  const { caller } = opts;
  if (opts.clientCertIdentity === true) enableClientCertIdentity(app);
  const ctx: HttpContext = {
    service: opts.service,
    // With --client-cert-auth, a verified client certificate's CN names the user when no token does.
    serviceFor: caller === undefined ? () => opts.service : (request) => caller(requestCredentials(request)),
    authFor: caller === undefined ? () => undefined : (request) => caller(requestCredentials(request)),
    limits: limitsFor(opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES),
    gatewayPaths: new Set(),
    rangeBudget: opts.rangeBudget ?? new ByteBudget(RANGE_BYTES_IN_FLIGHT_FACTOR * DEFAULT_MAX_RESPONSE_BYTES),
  };

  // etcd decodes every body as JSON whatever its Content-Type; routes read the raw stream.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  enforceConnectionLimits(app, connectionLimits, opts.warn ?? (() => {}));
  if (opts.registry !== undefined) addRpcMetrics(app, opts.registry);
  // Browser guards first: a refused request never reaches a route or the store.
  const hostWhitelist = opts.hostWhitelist ?? ['*'];
  app.addHook('onRequest', hostCheckHook(hostWhitelist, opts.warn ?? (() => {})));
  app.addHook('onRequest', corsHook(opts.cors ?? [], !hostWhitelist.includes('*')));
  app.addHook('onRequest', requireLeaderHook(opts.service));
  app.options('*', async (_request, reply) => reply.code(200).send());

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (ctx.gatewayPaths.has(path)) return sendPlainError(reply, 405, 'Method Not Allowed');
    if (path.startsWith('/v3/')) return sendPlainError(reply, 404, 'Not Found');
    return sendPlainError(reply, 404, '404 page not found');
  });
  app.setErrorHandler(async (err: { statusCode?: number; message: string }, _request, reply) => {
    const status = err.statusCode ?? 500;
    return sendError(reply, status < 500 ? new KvError('InvalidArgument', err.message) : err);
  });

  app.register(async (area) => kvRoutes(area, ctx));
  app.register(async (area) => watchRoutes(area, ctx));
  app.register(async (area) => leaseRoutes(area, ctx));
  app.register(async (area) => clusterRoutes(area, ctx));
  app.register(async (area) => maintenanceRoutes(area, ctx));
  if (caller !== undefined) app.register(async (area) => authRoutes(area, ctx));
  app.register(async (area) => recipeRoutes(area, ctx));
  app.register(async (area) => unimplementedRoutes(area, ctx, caller !== undefined));
  app.register(async (area) => plainRoutes(area, ctx, opts.sseHeartbeatMs ?? 15_000));
  const ui = opts.ui;
  if (ui !== undefined) app.register(async (area) => uiRoutes(area, { ...ui, callerFor: (request) => ({ service: ctx.serviceFor(request), token: credentialsOf(request.headers).token }) }));
  app.register(async (area) =>
    statusRoutes(area, {
      service: opts.service,
      version: opts.version ?? DEFAULT_VERSION,
      registry: opts.registry,
      healthTimeoutMs: opts.healthTimeoutMs ?? 7_000,
    }),
  );
  return app;
}

/** The request's token, and the CN of its verified client certificate (identity on only). */
function requestCredentials(request: FastifyRequest): Credentials {
  const commonName = clientCertCommonName(request);
  const fromHeaders = credentialsOf(request.headers);
  return commonName === undefined ? fromHeaders : { ...fromHeaders, commonName };
}
