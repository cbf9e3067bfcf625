/**
 * Browser exposure, CORS half (issue 16). etcd's --cors defaults to `*` and still serves a
 * request whose Origin it does not allow (etcd-auth-tls.md §8.1), so any web page a developer
 * visits can write to a member on their laptop with a `text/plain` POST, which needs no
 * preflight. cairn answers no `Access-Control-Allow-*` headers unless --cors names origins (`*`
 * only when given explicitly), and refuses with 403, before any route runs, every request whose
 * `Origin` is neither allowed nor the member's own origin. curl and other non-browser clients
 * send no `Origin` and are unaffected. OPTIONS on any path answers 200 (a route in app.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendPlainError } from './errors.js';

export const ORIGIN_REFUSED = 'cairn: cross-origin request refused: the Origin is not allowed by --cors';

/** `http://A.example:80` and `http://a.example` are one origin; an unparseable value stays as given. */
export function normalizeOrigin(origin: string): string {
  if (origin === '*') return origin;
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? origin : url.origin;
  } catch {
    return origin;
  }
}

/**
 * A page served by this member itself (its Origin names the host it asked for) is not
 * cross-site. That is only believable when the Host is: over TLS (a rebound name fails the
 * certificate check), or when the Host check (host-check.ts) admits only known names. With
 * `--host-whitelist *` on plain HTTP a rebinding page would be "same-origin" with itself.
 */
function isSameOrigin(request: FastifyRequest, origin: string, hostChecked: boolean): boolean {
  const encrypted = (request.raw.socket as { encrypted?: boolean }).encrypted === true;
  if (!encrypted && !hostChecked) return false;
  const scheme = encrypted ? 'https' : 'http';
  const host = request.headers.host;
  return host !== undefined && normalizeOrigin(`${scheme}://${host}`) === origin;
}

/** `hostChecked`: plain-HTTP Host names are restricted (a --host-whitelist other than `*`). */
export function corsHook(origins: readonly string[], hostChecked: boolean) {
  const allowed = new Set(origins.map(normalizeOrigin));
  const any = allowed.has('*');
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const raw = request.headers.origin;
    // `--cors '*'` is etcd's default behaviour: the headers on every response.
    if (raw === undefined && !any) return undefined;
    const origin = normalizeOrigin(raw ?? '*');
    if (any || allowed.has(origin)) {
      // Set on the raw response so hijacked streaming replies carry them too.
      const res = reply.raw;
      res.setHeader('access-control-allow-origin', any ? '*' : origin);
      res.setHeader('access-control-allow-methods', 'POST, GET, OPTIONS, PUT, DELETE');
      res.setHeader('access-control-allow-headers', 'accept, content-type, authorization');
      if (!any) res.setHeader('vary', 'Origin');
      return undefined;
    }
    if (isSameOrigin(request, origin, hostChecked)) return undefined;
    return sendPlainError(reply, 403, ORIGIN_REFUSED);
  };
}
