/**
 * etcd's --auto-tls and --peer-auto-tls: when no certificate is given, a self-signed one
 * (O=etcd, the listen hosts as subject alternative names, valid one year) is generated into
 * <data-dir>/fixtures/client or /peer and reused on later starts (etcd-auth-tls.md §7.1). It
 * encrypts but authenticates nobody: clients must skip verification, and peers accept each
 * other's self-signed certificates (etcd does the same).
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { MemberConfig, TlsFiles } from '../server/config.js';
import type { Logger } from '../server/logger.js';

const VALIDITY_MS = 365 * 24 * 3600 * 1000;

async function selfSigned(dir: string, urls: readonly string[]): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) return { certFile, keyFile };
  const hosts = [...new Set(urls.map((u) => new URL(u).hostname.replace(/^\[(.*)\]$/, '$1')))];
  // Loaded only when a certificate must be made: selfsigned pulls in @peculiar/x509 and its
  // crypto polyfills, ~0.85 s of CPU at start-up that every restart paid for nothing.
  const { generate } = await import('selfsigned');
  const pem = await generate([{ name: 'organizationName', value: 'etcd' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + VALIDITY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames: hosts.map((h) => (isIP(h) !== 0 ? { type: 7 as const, ip: h } : { type: 2 as const, value: h })) },
    ],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  await writeFile(keyFile, pem.private, { mode: 0o600 });
  await writeFile(certFile, pem.cert, { mode: 0o600 });
  return { certFile, keyFile };
}

async function resolve(kind: 'client' | 'peer', files: TlsFiles, urls: readonly string[], dataDir: string, log: Logger): Promise<TlsFiles> {
  if (files.autoTls !== true) return files;
  if (files.certFile !== '') {
    log.warn({}, `ignoring ${kind} auto TLS since certs given`);
    return files;
  }
  const secure = urls.filter((u) => new URL(u).protocol === 'https:');
  if (secure.length === 0) return files; // tlsSchemeWarnings reports the flag as ignored
  const generated = await selfSigned(join(dataDir, 'fixtures', kind), secure);
  log.info({ certFile: generated.certFile }, `using self-signed ${kind} TLS certificate (--${kind === 'peer' ? 'peer-' : ''}auto-tls)`);
  return { ...files, ...generated };
}

/** The configuration with generated certificate files filled in where auto TLS applies. */
export async function withAutoTls(config: MemberConfig, log: Logger): Promise<MemberConfig> {
  return {
    ...config,
    clientTls: await resolve('client', config.clientTls, config.listenClientUrls, config.dataDir, log),
    peerTls: await resolve('peer', config.peerTls, config.listenPeerUrls, config.dataDir, log),
  };
}
