/**
 * Browser exposure, DNS-rebinding half: etcd's --host-whitelist (CVE-2018-5702,
 * etcd-auth-tls.md §8.2). A page on evil.example whose name is rebound to 127.0.0.1 reaches the
 * member with `Host: evil.example`; a request whose Host (compared without its port) is not
 * allowed gets etcd's 421 text. As in etcd the check applies to plain-HTTP requests only: a TLS
 * request has already proved it meant this member. etcd's default is `*`; cairn's default, when
 * every client URL is loopback, is the loopback names, so a laptop member is safe without flags.
 * gRPC is not checked: a browser cannot speak h2c gRPC, so rebinding cannot reach it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LogThrottle } from '../util/log-throttle.js';
import { isLoopbackHost } from '../util/loopback.js';

export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/** etcd's response body, leading and trailing newline included (sendPlainError would add one more). */
export const HOST_REFUSED_BODY = `
etcd received your request, but the Host header was unrecognized.

To fix this, choose one of the following options:
- Enable TLS, then any HTTPS request will be allowed.
- Add the hostname you want to use to the whitelist in settings.
  - e.g. etcd --host-whitelist "evil.example"

This requirement has been added to help prevent "DNS Rebinding" attacks (CVE-2018-5702).
`;

/** --host-whitelist when given; else the loopback names for an all-loopback member, else any (`*`). */
export function effectiveHostWhitelist(given: readonly string[], listenClientUrls: readonly string[]): readonly string[] {
  if (given.length > 0) return given;
  const allLoopback = listenClientUrls.every((u) => isLoopbackHost(new URL(u).hostname));
  return allLoopback ? LOOPBACK_HOSTS : ['*'];
}

/** `[::1]:2379` → `::1`, `Example.COM:80` → `example.com`. */
export function hostWithoutPort(host: string): string {
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(host);
  if (bracketed) return (bracketed[1] as string).toLowerCase();
  const colon = host.indexOf(':');
  return (colon >= 0 && host.indexOf(':', colon + 1) < 0 ? host.slice(0, colon) : host).toLowerCase();
}

export function hostCheckHook(whitelist: readonly string[], warn: (fields: Record<string, unknown>, msg: string) => void) {
  const allowed = new Set(whitelist.map((h) => hostWithoutPort(h)));
  const any = allowed.has('*');
  // A page can send refused requests in a loop: a few lines with counts, not one per request.
  const throttle = new LogThrottle(10_000, () => Date.now());
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (any || (request.raw.socket as { encrypted?: boolean }).encrypted === true) return undefined;
    const host = hostWithoutPort(request.headers.host ?? '');
    if (allowed.has(host)) return undefined;
    const counts = throttle.note();
    if (counts !== undefined) warn({ host: request.headers.host, remote: request.ip, refused: counts.total }, `rejecting HTTP request from ${JSON.stringify(request.headers.host ?? '')} to prevent DNS rebinding attacks`);
    return reply.code(421).header('content-type', 'text/plain; charset=utf-8').header('x-content-type-options', 'nosniff').send(HOST_REFUSED_BODY);
  };
}
