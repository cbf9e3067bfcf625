/**
 * etcd's TLS flags as cairn parses and applies them: cipher suites by Go name, the minimum
 * version, TLS flags on http:// URLs reported in etcd's words and ignored, the start-up warning
 * for a client listener reachable from the network without TLS, and --auto-tls.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { clientTlsServerOptions } from '../../src/cli/client-tls.js';
import { buildApp } from '../../src/http/app.js';
import { FakeService } from '../http/fake-service.js';
import { testPki } from './certs.js';
import { exposureWarnings, peerExposureWarnings } from '../../src/cli/exposure.js';
import { parseServeFlags } from '../../src/cli/serve-flags.js';
import { Client } from '../../src/client/client.js';
import { startNode } from '../../src/index.js';
import { tlsProtocol, tlsSchemeWarnings } from '../../src/server/tls-settings.js';
import { freePort } from '../e2e/processes.js';

describe('TLS flags', () => {
  it('maps --cipher-suites from Go names and refuses an unknown one in etcd\'s words', () => {
    const c = parseServeFlags(['--cipher-suites', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'], {});
    expect(tlsProtocol(c).ciphers).toBe('TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384');
    expect(() => parseServeFlags(['--cipher-suites', 'FOO'], {})).toThrow('unexpected TLS cipher suite "FOO"');
    expect(() => parseServeFlags(['--cipher-suites', 'TLS_RSA_WITH_AES_128_CBC_SHA', '--tls-min-version', 'TLS1.3'], {})).toThrow('cannot be used with --tls-min-version=TLS1.3');
  });

  it('takes --tls-min-version TLS1.2 (default) or TLS1.3', () => {
    expect(tlsProtocol(parseServeFlags([], {})).minVersion).toBe('TLSv1.2');
    expect(tlsProtocol(parseServeFlags(['--tls-min-version', 'TLS1.3'], {})).minVersion).toBe('TLSv1.3');
    expect(() => parseServeFlags(['--tls-min-version', 'TLS1.1'], {})).toThrow('invalid value "TLS1.1" for --tls-min-version');
  });

  it('refuses an https:// URL without certificates unless --auto-tls, and a cert without its key', () => {
    const https = ['--listen-client-urls', 'https://127.0.0.1:2379', '--advertise-client-urls', 'https://127.0.0.1:2379'];
    expect(() => parseServeFlags(https, {})).toThrow('is https but no certificate and key were given');
    expect(parseServeFlags([...https, '--auto-tls'], {}).clientTls.autoTls).toBe(true);
    expect(() => parseServeFlags(['--cert-file', '/x.pem'], {})).toThrow('--cert-file and --key-file must be given together');
    expect(parseServeFlags(['--peer-cert-allowed-cn', 'member'], {}).peerTls.allowedCn).toBe('member');
  });

  it('reports TLS flags on http:// URLs as etcd 3.4 does (and they stay ignored)', () => {
    const c = parseServeFlags(['--cert-file', '/c.pem', '--key-file', '/k.pem', '--client-cert-auth', '--peer-cert-file', '/p.pem', '--peer-key-file', '/pk.pem'], {});
    expect(tlsSchemeWarnings(c)).toEqual([
      'The scheme of client url http://127.0.0.1:2379 is HTTP while peer key/cert files are presented. Ignored key/cert files.',
      'The scheme of client url http://127.0.0.1:2379 is HTTP while client cert auth (--client-cert-auth) is enabled. Ignored client cert auth for this url.',
      'The scheme of peer url http://127.0.0.1:2380 is HTTP while peer key/cert files are presented. Ignored peer key/cert files.',
    ]);
    expect(tlsSchemeWarnings(parseServeFlags([], {}))).toEqual([]);
  });

  it('warns about a client listener on a non-loopback address without TLS (and, when auth says so, without auth)', () => {
    expect(exposureWarnings(['http://127.0.0.1:2379', 'http://[::1]:2379', 'https://10.0.0.5:2379'])).toEqual([]);
    expect(exposureWarnings(['http://0.0.0.0:2379'])).toEqual([
      'serving client requests on http://0.0.0.0:2379 without TLS: traffic, keys and values travel in clear text to and from any host that can reach it (use https:// client URLs with --cert-file and --key-file)',
    ]);
    expect(exposureWarnings(['https://10.0.0.5:2379'], { authEnabled: false })).toHaveLength(1);
    expect(peerExposureWarnings('http://127.0.0.1:2380')).toEqual([]);
    expect(peerExposureWarnings('https://10.0.0.5:2380')).toEqual([]);
    expect(peerExposureWarnings('http://10.0.0.5:2380')[0]).toMatch(/^serving peer traffic on http:\/\/10\.0\.0\.5:2380 without TLS/);
  });
});

describe('--tls-min-version and --cipher-suites on the client port', () => {
  /** The protocol and cipher a handshake settles on, or the error that ended it. */
  async function handshake(flags: string[], client: { maxVersion?: 'TLSv1.2'; ciphers?: string }): Promise<string> {
    const pki = await testPki();
    const config = parseServeFlags(['--cert-file', pki.file('member'), '--key-file', pki.file('member', 'key'), ...flags], {});
    const app = buildApp({ service: new FakeService(), https: clientTlsServerOptions(config) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (app.server.address() as AddressInfo).port;
      return await new Promise<string>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port, ca: pki.ca.cert, ALPNProtocols: ['http/1.1'], ...client }, () => {
          resolve(`${socket.getProtocol()} ${socket.getCipher().name}`);
          socket.end();
        });
        socket.on('error', (err) => resolve(`error ${err.message}`));
      });
    } finally {
      await app.close();
    }
  }

  it('refuses a TLS 1.2 client with --tls-min-version TLS1.3', async () => {
    expect(await handshake(['--tls-min-version', 'TLS1.3'], {})).toMatch(/^TLSv1\.3 /);
    expect(await handshake(['--tls-min-version', 'TLS1.3'], { maxVersion: 'TLSv1.2' })).toMatch(/^error .*protocol version/);
    expect(await handshake([], { maxVersion: 'TLSv1.2' })).toMatch(/^TLSv1\.2 /);
  });

  it('offers TLS 1.2 clients only the listed suites', async () => {
    const flags = ['--cipher-suites', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'];
    expect(await handshake(flags, { maxVersion: 'TLSv1.2' })).toBe('TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256');
    expect(await handshake(flags, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' })).toMatch(/^error /);
  });
});

describe('--auto-tls', () => {
  it('serves HTTPS with a self-signed certificate in <data-dir>/fixtures/client, kept across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-auto-tls-'));
    const url = `https://127.0.0.1:${await freePort()}`;
    const options = {
      http: true,
      logger: false as const,
      dataDir: join(dir, 'data'),
      listenClientUrls: [url],
      advertiseClientUrls: [url],
      listenPeerUrls: [`http://127.0.0.1:${await freePort()}`],
      clientTls: { certFile: '', keyFile: '', trustedCaFile: '', clientCertAuth: false, autoTls: true },
    };
    let node = await startNode(options);
    try {
      const certFile = join(dir, 'data', 'fixtures', 'client', 'cert.pem');
      const cert = new X509Certificate(readFileSync(certFile));
      expect(cert.subject).toBe('O=etcd');
      expect(cert.subjectAltName).toBe('IP Address:127.0.0.1');
      expect(statSync(join(dir, 'data', 'fixtures', 'client', 'key.pem')).mode & 0o777).toBe(0o600);
      const skip = new Client({ endpoints: [url], tls: { insecureSkipVerify: true }, retryRounds: 1 });
      expect((await skip.status()).header.memberId).toBeGreaterThan(0);
      const verifying = new Client({ endpoints: [url], retryRounds: 1, timeoutMs: 3000 });
      await expect(verifying.status()).rejects.toThrow(/authentication handshake failed/);
      await node.close();
      node = await startNode(options);
      expect(new X509Certificate(readFileSync(certFile)).fingerprint256).toBe(cert.fingerprint256);
    } finally {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
