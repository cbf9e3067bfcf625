/**
 * A client's TLS trust and identity (etcdctl's --cacert, --cert, --key,
 * --insecure-skip-tls-verify), apart from any HTTP client: node:https takes these options as
 * they are, so the CLI's node:http path needs no fetch implementation loaded.
 */
export interface TlsClientOptions {
  /** PEM: the CA bundle to verify the server with (default: the system's). */
  readonly ca?: string | Buffer;
  /** PEM: a client certificate and its key, for members with --client-cert-auth. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Do not verify the server's certificate (etcdctl's --insecure-skip-tls-verify). */
  readonly insecureSkipVerify?: boolean;
}

export function hasTlsOptions(o: TlsClientOptions | undefined): o is TlsClientOptions {
  return o !== undefined && (o.ca !== undefined || o.cert !== undefined || o.key !== undefined || o.insecureSkipVerify === true);
}

/** The options node:tls and node:https take for the same trust and identity. */
export function tlsConnectOptions(o: TlsClientOptions | undefined): { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized: boolean } {
  return { ca: o?.ca, cert: o?.cert, key: o?.key, rejectUnauthorized: o?.insecureSkipVerify !== true };
}
