/**
 * Gateway paths of etcd services cairn does not implement yet (3.5's downgrade; auth when the app is built without a caller service). They answer as a gRPC server without that service would: code 12, HTTP 501, so
 * clients learn "not supported" rather than "no such path".
 */
import type { FastifyInstance } from 'fastify';
import { KvError } from '../../util/errors.js';
import type { HttpContext } from '../context.js';
import { sendError } from '../errors.js';

const UNIMPLEMENTED: ReadonlyArray<readonly [string, readonly string[]]> = [
  [
    'unknown service etcdserverpb.Auth',
    [
      'auth/enable', 'auth/disable', 'auth/status', 'auth/authenticate',
      ...['add', 'get', 'list', 'delete', 'changepw', 'grant', 'revoke'].map((m) => `auth/user/${m}`),
      ...['add', 'get', 'list', 'delete', 'grant', 'revoke'].map((m) => `auth/role/${m}`),
    ],
  ],
  ['unknown method Downgrade for service etcdserverpb.Maintenance', ['maintenance/downgrade']],
];

/** `authServed`: the app serves the Auth service (routes/auth.ts), so only the others are listed. */
export function unimplementedRoutes(app: FastifyInstance, ctx: HttpContext, authServed = false): void {
  for (const [message, paths] of UNIMPLEMENTED) {
    if (authServed && message.endsWith('.Auth')) continue;
    for (const suffix of paths) {
      const path = `/v3/${suffix}`;
      ctx.gatewayPaths.add(path);
      app.post(path, async (_request, reply) => sendError(reply, new KvError('Unimplemented', message)));
    }
  }
}
