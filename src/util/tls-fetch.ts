/**
 * fetch() with the caller's own TLS trust and identity: the CA that signed the member's
 * certificate (etcdctl's --cacert), a client certificate (--cert/--key) and
 * --insecure-skip-tls-verify. Node's global fetch takes none of these, so https endpoints go
 * through undici's fetch with an Agent that carries them; plain fetch is used otherwise.
 */
import { Agent, fetch as undiciFetch } from 'undici';

export interface TlsClientOptions {
  /** PEM: the CA bundle to verify the server with (default: the system's). */
  readonly ca?: string | Buffer;
  /** PEM: a client certificate and its key, for members with --client-cert-auth. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Do not verify the server's certificate (etcdctl's --insecure-skip-tls-verify). */
  readonly insecureSkipVerify?: boolean;
}

export type FetchFn = typeof fetch;

export function hasTlsOptions(o: TlsClientOptions | undefined): o is TlsClientOptions {
  return o !== undefined && (o.ca !== undefined || o.cert !== undefined || o.key !== undefined || o.insecureSkipVerify === true);
}

/** The options node:tls and node:https take for the same trust and identity. */
export function tlsConnectOptions(o: TlsClientOptions | undefined): { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized: boolean } {
  return { ca: o?.ca, cert: o?.cert, key: o?.key, rejectUnauthorized: o?.insecureSkipVerify !== true };
}

export function tlsFetch(o: TlsClientOptions | undefined): FetchFn {
  if (!hasTlsOptions(o)) return (input, init) => fetch(input, init);
  const dispatcher = new Agent({ connect: tlsConnectOptions(o) });
  return ((input: Parameters<FetchFn>[0], init?: Parameters<FetchFn>[1]) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher })) as unknown as FetchFn;
}
