/**
 * etcd's CORS handling (--cors, default `*`): every response carries the allow headers; a
 * listed origin is echoed, `*` allows any. OPTIONS on any path answers 200 with an empty body
 * (a route in app.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export function corsHook(origins: readonly string[]) {
  const any = origins.includes('*');
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const origin = request.headers.origin;
    let allow: string | undefined;
    if (any) allow = '*';
    else if (origin !== undefined && origins.includes(origin)) allow = origin;
    if (allow === undefined) return;
    // Set on the raw response so hijacked streaming replies carry them too.
    const res = reply.raw;
    res.setHeader('access-control-allow-origin', allow);
    res.setHeader('access-control-allow-methods', 'POST, GET, OPTIONS, PUT, DELETE');
    res.setHeader('access-control-allow-headers', 'accept, content-type, authorization');
  };
}
