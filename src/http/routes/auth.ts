/** `/v3/auth/*`: etcd's Auth service over the gateway (etcd-auth-tls §1), for the request's caller. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Auth } from '../../api/kv.js';
import { AUTH, type Rpc } from '../../api/rpcs.js';
import { assert } from '../../util/assert.js';
import type { HttpContext } from '../context.js';
import { unaryRoute } from '../unary.js';

type AuthMethod = keyof typeof AUTH & keyof Auth;

export function authRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const authOf = (request: FastifyRequest): Auth => {
    const auth = ctx.authFor(request);
    assert(auth !== undefined, 'auth routes are registered only with a caller service');
    return auth;
  };
  for (const method of Object.keys(AUTH) as AuthMethod[]) {
    const rpc = AUTH[method] as Rpc<unknown, unknown>;
    const call = (req: unknown, request: FastifyRequest): Promise<unknown> => {
      const auth = authOf(request);
      return (auth[method] as (r: unknown) => Promise<unknown>).call(auth, req);
    };
    // Every auth change is a raft proposal; etcd's size limit applies to all of them.
    unaryRoute(app, ctx, rpc, (req, _service, request) => call(req, request), () => true);
  }
}
