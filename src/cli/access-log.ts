/**
 * The optional access log: at `--log-level=debug`, one line per client request once answered
 * (method, URL, status, milliseconds), through the member's logger. Off at info and above, as
 * etcd logs requests only when debugging (its "request stats" lines are debug too).
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../server/logger.js';

export function addAccessLog(app: FastifyInstance, log: Logger): void {
  app.addHook('onResponse', async (req, reply) => {
    log.debug({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100, remote: req.ip }, 'request');
  });
}
