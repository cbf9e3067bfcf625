/**
 * Peer URLs keep etcd's `http(s)://host:port` form: `http` is plain TCP, `https` is TLS with the
 * member's peer certificates (etcd's --peer-cert-file, --peer-key-file, --peer-trusted-ca-file).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { KvError } from '../util/errors.js';

export interface PeerTlsOptions {
  readonly key?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Verify the other side's certificate against `ca` (default true; etcd's peer-client-cert-auth for inbound). */
  readonly rejectUnauthorized?: boolean;
  /** Ask dialers for a client certificate (etcd's --peer-client-cert-auth). */
  readonly requestCert?: boolean;
  /** etcd's --peer-cert-allowed-cn: a dialer's verified certificate must carry this common name. */
  readonly allowedCn?: string;
  /** OpenSSL cipher list and minimum version (etcd's --cipher-suites, --tls-min-version). */
  readonly ciphers?: string;
  readonly minVersion?: tls.SecureVersion;
}

export interface PeerAddress {
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
}

export function parsePeerUrl(url: string): PeerAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KvError('InvalidPeerURLs', `etcdserver: given member URLs are invalid: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new KvError('InvalidPeerURLs', `etcdserver: given member URLs are invalid: ${url} (scheme must be http or https)`);
  }
  const secure = parsed.protocol === 'https:';
  const port = parsed.port === '' ? (secure ? 443 : 80) : Number(parsed.port);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { secure, host, port };
}

/** Connects to a peer; rejects with a KvError after `timeoutMs` or on a connection error. */
export function dialPeer(address: PeerAddress, tlsOptions: PeerTlsOptions | undefined, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket: net.Socket = address.secure
      ? tls.connect({
          host: address.host,
          port: address.port,
          ...tlsClientOptions(tlsOptions),
          servername: net.isIP(address.host) ? undefined : address.host,
        })
      : net.connect({ host: address.host, port: address.port });
    const connectEvent = address.secure ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => fail(new Error(`dial timed out after ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.removeAllListeners(connectEvent);
      socket.destroy();
      reject(new KvError('TimeoutDueToConnectionLost', `cairn: cannot reach peer at ${address.host}:${address.port}: ${err.message}`));
    };
    socket.once('error', fail);
    socket.once(connectEvent, () => {
      clearTimeout(timer);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

function tlsClientOptions(o: PeerTlsOptions | undefined): tls.ConnectionOptions {
  return {
    key: o?.key,
    cert: o?.cert,
    ca: o?.ca as tls.ConnectionOptions['ca'],
    rejectUnauthorized: o?.rejectUnauthorized ?? true,
    ciphers: o?.ciphers,
    minVersion: o?.minVersion,
  };
}

export function tlsServerOptions(o: PeerTlsOptions | undefined): tls.TlsOptions {
  return {
    key: o?.key,
    cert: o?.cert,
    ca: o?.ca as tls.TlsOptions['ca'],
    requestCert: o?.requestCert ?? false,
    rejectUnauthorized: o?.requestCert === true ? (o.rejectUnauthorized ?? true) : false,
    ciphers: o?.ciphers,
    minVersion: o?.minVersion,
  };
}
