/**
 * fetch() with the caller's own TLS trust and identity: the CA that signed the member's
 * certificate (etcdctl's --cacert), a client certificate (--cert/--key) and
 * --insecure-skip-tls-verify. Node's global fetch takes none of these, so https endpoints go
 * through undici's fetch with an Agent that carries them; plain fetch is used otherwise.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { hasTlsOptions, tlsConnectOptions, type TlsClientOptions } from './tls-options.js';

export type FetchFn = typeof fetch;

export { hasTlsOptions, tlsConnectOptions, type TlsClientOptions } from './tls-options.js';

export function tlsFetch(o: TlsClientOptions | undefined): FetchFn {
  if (!hasTlsOptions(o)) return (input, init) => fetch(input, init);
  const dispatcher = new Agent({ connect: tlsConnectOptions(o) });
  return ((input: Parameters<FetchFn>[0], init?: Parameters<FetchFn>[1]) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher })) as unknown as FetchFn;
}
