/**
 * The identity a verified client certificate gives (etcd's --client-cert-auth): its common name,
 * which etcd takes as the user name when auth is on. Only a listener built with
 * `clientCertIdentity` answers; a trusted CA alone verifies certificates without making their CN
 * an identity (etcd-auth-tls.md §7.1). Auth (issue 16, the auth module) calls this to find the
 * user of a request that carries no token.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PeerCertificate, TLSSocket } from 'node:tls';

const DECORATION = 'cairnClientCertIdentity';

/** Marks `app` as one whose verified client certificates name their user. */
export function enableClientCertIdentity(app: FastifyInstance): void {
  app.decorate(DECORATION, true);
}

/** The verified client certificate's CN, or undefined (no TLS, no certificate, not verified, or identity off). */
export function clientCertCommonName(request: FastifyRequest): string | undefined {
  if ((request.server as unknown as Record<string, unknown>)[DECORATION] !== true) return undefined;
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (socket.encrypted !== true || socket.authorized !== true || socket.getPeerCertificate === undefined) return undefined;
  return commonNameOf(socket.getPeerCertificate());
}

/** A verified certificate's subject CN; none for a CN-less one (etcd: `permission denied`, not an identity). */
export function commonNameOf(certificate: Partial<PeerCertificate> | undefined): string | undefined {
  const cn = certificate?.subject?.CN;
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}
