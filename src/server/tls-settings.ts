/**
 * How a member's TLS flags become socket options, in one place for the client listener, the
 * peer transport and the join query: the files are read here, etcd's --cipher-suites and
 * --tls-min-version apply to both sides, and a TLS flag given with an http:// URL is reported
 * in etcd's words and otherwise ignored, never half-applied (etcd-auth-tls.md §7.2, §7.4).
 */
import { readFileSync } from 'node:fs';
import type { SecureVersion } from 'node:tls';
import type { PeerTlsOptions } from '../transport/dial.js';
import type { TlsClientOptions } from '../util/tls-fetch.js';
import { opensslCiphers } from './cipher-suites.js';
import type { MemberConfig, TlsFiles } from './config.js';

export interface TlsProtocol {
  readonly ciphers?: string;
  readonly minVersion: SecureVersion;
}

export function tlsProtocol(config: Pick<MemberConfig, 'cipherSuites' | 'tlsMinVersion'>): TlsProtocol {
  const ciphers = opensslCiphers(config.cipherSuites);
  return { ...(ciphers !== undefined ? { ciphers } : {}), minVersion: config.tlsMinVersion === 'TLS1.3' ? 'TLSv1.3' : 'TLSv1.2' };
}

/** etcd: a trusted CA file on its own already requires and verifies client certificates. */
export function requiresClientCert(files: TlsFiles): boolean {
  return files.clientCertAuth || files.trustedCaFile !== '';
}

/** The PEM files of `files`, read now (certificate, key, and the CA when one is given). */
export function readCertificates(files: TlsFiles): { cert: Buffer; key: Buffer; ca?: Buffer } {
  return {
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    ...(files.trustedCaFile !== '' ? { ca: readFileSync(files.trustedCaFile) } : {}),
  };
}

/** The peer transport's TLS (listener and dialer), or undefined without peer certificates. */
export function peerTlsOptions(config: MemberConfig): PeerTlsOptions | undefined {
  const files = config.peerTls;
  if (files.certFile === '') return undefined;
  return {
    ...readCertificates(files),
    requestCert: files.clientCertAuth,
    // Without a CA (e.g. --peer-auto-tls) there is nothing to verify against: encrypted, not authenticated, as etcd.
    rejectUnauthorized: files.trustedCaFile !== '',
    ...(files.allowedCn !== undefined && files.allowedCn !== '' ? { allowedCn: files.allowedCn } : {}),
    ...tlsProtocol(config),
  };
}

function hasTlsFlags(files: TlsFiles): boolean {
  return files.certFile !== '' || files.autoTls === true;
}

/** etcd 3.4's warnings for TLS flags on http:// URLs (sic "peer" for client URLs too, as etcd prints it). */
export function tlsSchemeWarnings(config: MemberConfig): string[] {
  const warnings: string[] = [];
  const check = (kind: 'client' | 'peer', urls: readonly string[], files: TlsFiles, authFlag: string): void => {
    for (const url of urls) {
      if (new URL(url).protocol !== 'http:') continue;
      if (hasTlsFlags(files)) warnings.push(`The scheme of ${kind} url ${url} is HTTP while peer key/cert files are presented. Ignored ${kind === 'peer' ? 'peer ' : ''}key/cert files.`);
      if (files.clientCertAuth) warnings.push(`The scheme of ${kind} url ${url} is HTTP while client cert auth (${authFlag}) is enabled. Ignored client cert auth for this url.`);
    }
  };
  check('client', config.listenClientUrls, config.clientTls, '--client-cert-auth');
  check('peer', config.listenPeerUrls, config.peerTls, '--peer-client-cert-auth');
  return warnings;
}

/**
 * How a member calls another member's client URL (a follower forwarding lease keep-alives to the
 * leader): it trusts --trusted-ca-file and presents its own certificate, as etcd's gateway
 * presents the server certificate on its hop to gRPC. With --auto-tls nothing can verify the
 * self-signed certificates, so verification is skipped, as etcd does.
 */
export function memberClientTls(config: MemberConfig): TlsClientOptions | undefined {
  const files = config.clientTls;
  if (files.certFile === '') return undefined;
  return {
    ...readCertificates(files),
    insecureSkipVerify: files.autoTls === true && files.trustedCaFile === '',
  };
}
