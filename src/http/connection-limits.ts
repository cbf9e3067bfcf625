/**
 * How long and how many: the client port's bounds on connections (issue 15 item 3: slow clients
 * held connections forever, and 450 of them under `ulimit -n 400` starved LevelDB of file
 * descriptors). etcd's Go server sets none of these for the gateway; it bounds its listeners
 * instead (`LimitListener`). Node gives us the pieces:
 *
 * - a connection limit per listener (`server.maxConnections`): a connection over it is closed at
 *   once, before a byte is read, and logged (throttled) — the same refusal etcd's listener limit
 *   gives, and no file descriptor is kept for it;
 * - a header timeout: node answers 408 to a request whose headers have not all arrived;
 * - a body timeout: a request's body must arrive whole within `bodyTimeoutMs` of its start, else
 *   408 and the connection is closed. Node's own `requestTimeout` cannot be used: etcd's
 *   streaming RPCs (watch, lease keep-alive) keep the request body open for as long as they
 *   live, so it would cut every stream. Our timer is cleared when a stream starts (`longLived`);
 * - an idle timeout between requests on a kept-alive connection, and an inactivity timeout on a
 *   socket during a request (a client that stopped reading its response), also lifted for
 *   streams, which are legitimately quiet for long;
 * - a bound on requests per kept-alive connection.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { FastifyHttpOptions, FastifyInstance } from 'fastify';
import { LogThrottle } from '../util/log-throttle.js';

export interface ConnectionLimits {
  /** Concurrent connections per listener (`--max-connections`). */
  readonly maxConnections: number;
  /** Time for a request's headers to arrive. */
  readonly headersTimeoutMs: number;
  /** Time for a request's whole body to arrive (not for streams once they start). */
  readonly bodyTimeoutMs: number;
  /** A kept-alive connection idle this long between requests is closed. */
  readonly keepAliveTimeoutMs: number;
  /** A socket with no traffic either way this long during a request is closed (not for streams). */
  readonly idleTimeoutMs: number;
  /** Requests on one kept-alive connection before the server closes it (node answers `Connection: close`). */
  readonly maxRequestsPerSocket: number;
}

/** Used when `--max-connections` is 0 and the open-file limit cannot be read (macOS defaults to 256). */
export const FALLBACK_MAX_CONNECTIONS = 128;
/** The most `--max-connections=0` picks, however high the open-file limit. */
export const MAX_AUTO_CONNECTIONS = 4096;

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = Object.freeze({
  maxConnections: FALLBACK_MAX_CONNECTIONS,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
  keepAliveTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  maxRequestsPerSocket: 10_000,
});

/**
 * `--max-connections=0`: half the process's open-file limit (the rest is left to LevelDB, the
 * peer port and the log), at most MAX_AUTO_CONNECTIONS; FALLBACK_MAX_CONNECTIONS when unknown.
 */
export function autoMaxConnections(openFileLimit: number | undefined): number {
  if (openFileLimit === undefined || !(openFileLimit > 0)) return FALLBACK_MAX_CONNECTIONS;
  return Math.max(1, Math.min(MAX_AUTO_CONNECTIONS, Math.floor(openFileLimit / 2)));
}

/** The options fastify passes to node's http.Server. */
export function serverOptions(l: ConnectionLimits): FastifyHttpOptions<Server> {
  return {
    keepAliveTimeout: l.keepAliveTimeoutMs,
    connectionTimeout: l.idleTimeoutMs,
    // Node's whole-request timer would cut streams (see above); the body timer replaces it.
    requestTimeout: 0,
    maxRequestsPerSocket: l.maxRequestsPerSocket,
    http: {
      headersTimeout: l.headersTimeoutMs,
      // Node checks header deadlines on this tick (30 s by default, far coarser than the timeout).
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(l.headersTimeoutMs / 4))),
    },
  };
}

export type LimitLog = (fields: Record<string, unknown>, msg: string) => void;

const bodyTimers = new WeakMap<IncomingMessage, NodeJS.Timeout>();

/**
 * Marks a request as a long-lived stream (watch, lease keep-alive, SSE) once it starts: its body
 * may stay open and its socket quiet for as long as it lives. Bounded by the connection limit.
 */
export function longLived(req: IncomingMessage): void {
  clearTimeout(bodyTimers.get(req));
  bodyTimers.delete(req);
  // inject() (light-my-request) hands routes a socket stand-in without setTimeout.
  if (typeof req.socket?.setTimeout === 'function') req.socket.setTimeout(0);
}

const DROP_LOG_MS = 10_000;

/** Installs the connection limit and the body timer on an app whose server options came from serverOptions. */
export function enforceConnectionLimits(app: FastifyInstance, l: ConnectionLimits, warn: LimitLog): void {
  app.server.maxConnections = l.maxConnections;
  const drops = new LogThrottle(DROP_LOG_MS, () => performance.now());
  app.server.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
    const counts = drops.note();
    if (counts === undefined) return;
    warn(
      { remote: `${data?.remoteAddress ?? '?'}:${data?.remotePort ?? '?'}`, maxConnections: l.maxConnections, closedSinceLastLine: counts.since, closedInAll: counts.total },
      `closed client connection: --max-connections=${l.maxConnections} reached`,
    );
  });

  app.addHook('onRequest', (request, reply, done) => {
    const req = request.raw;
    const timer = setTimeout(() => {
      bodyTimers.delete(req);
      if (req.complete || reply.raw.destroyed) return;
      // The body may be half read: answer if nothing was written yet, then drop the connection.
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(408, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
        reply.raw.end(`request body not received within ${l.bodyTimeoutMs} ms\n`, () => req.socket.destroy());
      } else {
        req.socket.destroy();
      }
    }, l.bodyTimeoutMs);
    timer.unref();
    bodyTimers.set(req, timer);
    reply.raw.once('close', () => {
      clearTimeout(timer);
      bodyTimers.delete(req);
    });
    done();
  });
}
