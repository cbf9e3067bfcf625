/**
 * What the operator is told at start about who can reach the member: a client listener bound
 * to a non-loopback address without TLS sends every key and request in clear text to anyone on
 * the path, and (with auth off) serves anyone who can connect.
 */
import { isLoopbackHost } from '../util/loopback.js';

export interface ExposureFacts {
  /** Whether auth is enabled; undefined while the member cannot tell (the auth module answers it). */
  readonly authEnabled?: boolean;
}

/** Warnings for the bound client URLs (the addresses actually listened on). */
export function exposureWarnings(boundUrls: readonly string[], facts: ExposureFacts = {}): string[] {
  const warnings: string[] = [];
  for (const raw of boundUrls) {
    const url = new URL(raw);
    if (isLoopbackHost(url.hostname)) continue;
    if (url.protocol === 'http:') {
      warnings.push(`serving client requests on ${raw} without TLS: traffic, keys and values travel in clear text to and from any host that can reach it (use https:// client URLs with --cert-file and --key-file)`);
    }
    if (facts.authEnabled === false) {
      warnings.push(`serving client requests on ${raw} with authentication disabled: anyone who can connect can read and write every key`);
    }
  }
  return warnings;
}

/** A peer listener on a non-loopback address without TLS: raft traffic in clear text, and any host can claim to be a member of the same cluster ID. */
export function peerExposureWarnings(boundUrl: string): string[] {
  const url = new URL(boundUrl);
  if (isLoopbackHost(url.hostname) || url.protocol === 'https:') return [];
  return [
    `serving peer traffic on ${boundUrl} without TLS: raft messages travel in clear text and peers are not authenticated (use https:// peer URLs with --peer-cert-file, --peer-key-file, --peer-trusted-ca-file and --peer-client-cert-auth)`,
  ];
}
