/**
 * Why a request never got an answer: refused, reset, TLS, DNS, unreachable or out of time.
 * node:http (unary calls, http-post.ts) reports the socket error itself; fetch() (snapshot
 * download) wraps it as `TypeError: fetch failed` with the socket error as `cause`. Either way
 * this names the cause in the words etcdctl (gRPC's transport) prints, so an operator reads
 * "connection refused" and not "no leader". `NoLeader` is kept for a member that said so.
 */
import { KvError } from '../util/errors.js';

export type ConnectionFailure = 'refused' | 'reset' | 'tls' | 'dns' | 'unreachable' | 'timeout' | 'blocked' | 'other';

export class ConnectionError extends KvError {
  constructor(
    readonly failure: ConnectionFailure,
    readonly endpoint: string,
    detail: string,
    override readonly cause: unknown,
  ) {
    super(failure === 'timeout' ? 'DeadlineExceeded' : 'ConnectionFailed', detail);
  }
}

interface SocketError {
  readonly code?: string;
  readonly message?: string;
  readonly hostname?: string;
  readonly address?: string;
  readonly port?: number;
}

/** OpenSSL / Node verification codes that mean "this certificate is not trusted". */
const UNTRUSTED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']);

/** The innermost error that carries a socket code, or the error itself. */
function rootCause(err: unknown): SocketError {
  let e = err as (SocketError & { cause?: unknown }) | undefined;
  for (let depth = 0; depth < 4 && e !== undefined && e !== null; depth++) {
    if (typeof e.code === 'string' && !e.code.startsWith('UND_ERR_') && e.code !== 'ABORT_ERR') return e;
    if (e.cause === undefined) break;
    e = e.cause as typeof e;
  }
  return (e ?? {}) as SocketError;
}

const isTimeout = (err: unknown): boolean =>
  (err as { name?: string })?.name === 'TimeoutError' || (err as { cause?: { name?: string } })?.cause?.name === 'TimeoutError';

function classify(err: unknown): ConnectionFailure {
  if (isTimeout(err)) return 'timeout';
  if (rootCause(err).message === 'bad port') return 'blocked';
  const code = rootCause(err).code ?? '';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'unreachable';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return 'reset';
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code === 'EPROTO' || UNTRUSTED.has(code) || code.startsWith('CERT_')) return 'tls';
  return 'other';
}

/** The failure in etcdctl's words: gRPC's `connection error: desc = "transport: …"`. */
export function connectionError(err: unknown, endpoint: string, timeoutMs: number): ConnectionError {
  if (err instanceof ConnectionError) return err;
  const failure = classify(err);
  const cause = rootCause(err);
  const url = new URL(endpoint);
  const target = `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
  const transport = (what: string) => `connection error: desc = "transport: ${what}" (${endpoint})`;
  switch (failure) {
    case 'timeout':
      return new ConnectionError(failure, endpoint, `context deadline exceeded (${endpoint} did not answer within ${timeoutMs} ms)`, err);
    case 'refused':
      return new ConnectionError(failure, endpoint, transport(`Error while dialing dial tcp ${target}: connect: connection refused`), err);
    case 'dns':
      return new ConnectionError(failure, endpoint, transport(`Error while dialing dial tcp: lookup ${cause.hostname ?? url.hostname}: no such host`), err);
    case 'unreachable':
      return new ConnectionError(failure, endpoint, transport(`Error while dialing dial tcp ${target}: connect: no route to host`), err);
    case 'reset':
      return new ConnectionError(failure, endpoint, transport(`read tcp ${target}: read: connection reset by peer`), err);
    case 'tls': {
      const why = UNTRUSTED.has(cause.code ?? '') ? 'x509: certificate signed by unknown authority' : (cause.message ?? cause.code ?? 'TLS error');
      return new ConnectionError(failure, endpoint, transport(`authentication handshake failed: ${why}`), err);
    }
    case 'blocked':
      return new ConnectionError(failure, endpoint, `cairn client: fetch() does not connect to port ${url.port} (on the Fetch standard's list of bad ports); use another port (${endpoint})`, err);
    case 'other':
      return new ConnectionError(failure, endpoint, transport(`${cause.message ?? String(err)}`), err);
  }
}

/** A failure before any byte of the request left: resending it elsewhere cannot apply it twice. */
export const neverSent = (e: ConnectionError): boolean => e.failure === 'refused' || e.failure === 'dns' || e.failure === 'unreachable' || e.failure === 'tls' || e.failure === 'blocked';
