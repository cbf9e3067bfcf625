/**
 * `/ui`: the dashboard, served by the member on its client port. It adds no way in: the page is
 * static files, and everything it does goes through the member's existing APIs (the v3 gateway,
 * `/kv/`, `/metrics`) from the same origin, so whatever checks those APIs make apply to the UI
 * too. The one route of its own, `/ui/api/cluster`, only reads (member list and status), as the
 * caller: with auth on it needs the caller's token like the gateway's member list and status
 * (etcd's answers: 400 "user name is empty" without one, 401 "invalid auth token"), and asks the
 * peers' status with that same token.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KV } from '../api/kv.js';
import type { UiAsset } from './assets.js';
import { clusterView, type StatusFetcher } from './cluster-view.js';

export const UI_PREFIX = '/ui';

export interface UiRouteOptions {
  /** The member as this request's caller sees it (auth checked there), and the caller's token. */
  readonly callerFor: (request: FastifyRequest) => { readonly service: KV; readonly token: string | undefined };
  /** From loadUiAssets; undefined when the build has not run (the page says so). */
  readonly assets: ReadonlyMap<string, UiAsset> | undefined;
  /** How peers' status is asked (tests inject). */
  readonly fetchStatus?: StatusFetcher;
}

/**
 * Same origin for everything, no inline script or style, no framing: a page that cannot load
 * anything from elsewhere cannot leak keys elsewhere either.
 */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', UI_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin');
}

const NOT_BUILT = 'cairn: the web UI is not built into this installation (run `npm run build`)\n';

export async function uiRoutes(app: FastifyInstance, opts: UiRouteOptions): Promise<void> {
  const send = (reply: FastifyReply, path: string): FastifyReply => {
    if (opts.assets === undefined) return secure(reply).code(503).header('content-type', 'text/plain; charset=utf-8').send(NOT_BUILT);
    const asset = opts.assets.get(path);
    if (asset === undefined) return secure(reply).code(404).header('content-type', 'text/plain; charset=utf-8').send('404 page not found\n');
    // Built file names carry a content hash; index.html does not and must be revalidated.
    const cache = path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    return secure(reply).header('content-type', asset.contentType).header('cache-control', cache).send(asset.body);
  };
  app.get(UI_PREFIX, async (_request, reply) => secure(reply).redirect(`${UI_PREFIX}/`, 301));
  app.get(`${UI_PREFIX}/`, async (_request, reply) => send(reply, 'index.html'));
  app.get(`${UI_PREFIX}/api/cluster`, async (request, reply) => {
    const { service, token } = opts.callerFor(request);
    const view = await clusterView(service, token, opts.fetchStatus);
    return secure(reply).header('content-type', 'application/json').header('cache-control', 'no-store').send(JSON.stringify(view));
  });
  app.get(`${UI_PREFIX}/*`, async (request, reply) => {
    const path = (request.params as { '*': string })['*'];
    return send(reply, path);
  });
}
