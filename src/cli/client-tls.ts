/**
 * The client port under TLS (an https:// --listen-client-urls): etcd's --cert-file, --key-file,
 * --trusted-ca-file, --client-cert-auth, --cipher-suites and --tls-min-version as Node server
 * options, ALPN choosing between gRPC and the gateway (grpc/port-sharing.ts), and certificates
 * reloaded when their files change, without a restart (etcd reloads them per handshake; here a
 * one-second poll of the files' stat, so a rotation takes effect within a second or two). The
 * peer certificates are watched the same way (serve.ts).
 */
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import type { ServerOptions } from 'node:https';
import type { SecureContextOptions, Server as TlsServer } from 'node:tls';
import { chooseAlpn } from '../grpc/port-sharing.js';
import type { MemberConfig, TlsFiles } from '../server/config.js';
import type { Logger } from '../server/logger.js';
import { readCertificates, requiresClientCert, tlsProtocol } from '../server/tls-settings.js';

const CERT_POLL_MS = 1000;
/** A client that has not finished its TLS handshake in this long is dropped (node's default is 120 s). */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

function secureContextOptions(config: MemberConfig): SecureContextOptions {
  return { ...readCertificates(config.clientTls), ...tlsProtocol(config) };
}

export function clientTlsServerOptions(config: MemberConfig): ServerOptions {
  const verify = requiresClientCert(config.clientTls);
  return {
    ...secureContextOptions(config),
    requestCert: verify,
    rejectUnauthorized: verify,
    ALPNCallback: chooseAlpn,
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
  };
}

function certificatePaths(files: TlsFiles): string[] {
  return [files.certFile, files.keyFile, files.trustedCaFile].filter((p) => p !== '');
}

/**
 * Calls `reload` whenever one of `files` changes. A half-written rotation (new certificate, old
 * key) fails to load: `reload` throws, the old certificates stay, and the next change retries.
 * Returns the function that stops watching.
 */
export function watchCertificates(files: TlsFiles, kind: 'client' | 'peer', reload: () => void, log: Logger): () => void {
  const paths = certificatePaths(files);
  const onChange = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs === previous.mtimeMs && current.size === previous.size) return;
    try {
      reload();
      log.info({ files: paths }, `reloaded ${kind} TLS certificates`);
    } catch (err) {
      log.warn({ err: (err as Error).message }, `${kind} TLS certificates changed but cannot be loaded; still using the previous ones`);
    }
  };
  for (const path of paths) watchFile(path, { interval: CERT_POLL_MS, persistent: false }, onChange);
  return () => {
    for (const path of paths) unwatchFile(path, onChange);
  };
}

/** The client listener's certificates, reloaded when their files change. */
export function reloadCertificatesOnChange(server: TlsServer, config: MemberConfig, log: Logger): () => void {
  return watchCertificates(config.clientTls, 'client', () => server.setSecureContext(secureContextOptions(config)), log);
}
