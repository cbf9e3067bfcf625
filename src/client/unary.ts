/**
 * One unary gateway call with endpoint failover (etcd clientv3's retry policy, adapted to
 * HTTP): a request that provably was not applied moves on to the next endpoint; a read that
 * timed out is retried elsewhere; a write that might have been applied is never resent.
 */
import { decodeJson, encodeMessage, kvErrorFromBody, type ErrorBody, type MessageDesc } from '../api/json.js';
import { KvError } from '../util/errors.js';
import type { TlsClientOptions } from '../util/tls-options.js';
import { connectionError, neverSent, type ConnectionError } from './connection-error.js';
import { postText, type PostAnswer } from './http-post.js';
import { AppliedUnreadableError, MAYBE_APPLIED, NOT_APPLIED, OutcomeUnknownError } from './errors.js';

export interface EndpointPool {
  /** Endpoints to try, current preferred first. */
  order(): string[];
  /** The endpoint answered; prefer it next time. */
  prefer(endpoint: string): void;
}

export class RoundRobinEndpoints implements EndpointPool {
  private preferred = 0;
  constructor(private readonly endpoints: readonly string[]) {
    if (endpoints.length === 0) throw new KvError('InvalidArgument', 'cairn client: no endpoints');
  }
  order(): string[] {
    return this.endpoints.map((_, i) => this.endpoints[(this.preferred + i) % this.endpoints.length] as string);
  }
  prefer(endpoint: string): void {
    const i = this.endpoints.indexOf(endpoint);
    if (i >= 0) this.preferred = i;
  }
}

export interface CallOptions {
  /** Reads and other calls that change nothing: safe to resend after a timeout. */
  readonly idempotent: boolean;
  readonly timeoutMs: number;
  /** Rounds over every endpoint before giving up on "not applied" answers (e.g. an election). */
  readonly rounds: number;
  readonly headers?: Record<string, string>;
  /** For https endpoints: the client's trust and identity (etcdctl's --cacert, --cert, --key). */
  readonly tls?: TlsClientOptions;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function callUnary<Req, Res>(
  pool: EndpointPool,
  path: string,
  reqDesc: MessageDesc<Req>,
  resDesc: MessageDesc<Res>,
  request: Req,
  o: CallOptions,
): Promise<Res> {
  const body = encodeMessage(reqDesc, request);
  // What a member said outranks a connection failure: NoLeader is reported only when a
  // member answered so; when none answered, the last connection failure says why.
  let memberError: KvError | undefined;
  let connectFailure: ConnectionError | undefined;
  for (let round = 0; round < o.rounds; round++) {
    if (round > 0) await sleep(Math.min(1000, 50 * 2 ** round));
    for (const endpoint of pool.order()) {
      let res: PostAnswer;
      try {
        res = await postText(new URL(path, endpoint), body, { 'content-type': 'application/json', ...o.headers }, o.timeoutMs, o.tls);
      } catch (err) {
        connectFailure = connectionError(err, endpoint, o.timeoutMs);
        if (neverSent(connectFailure) || o.idempotent) continue;
        throw new OutcomeUnknownError(connectFailure, endpoint);
      }
      const text = res.text;
      if (res.status >= 200 && res.status < 300) {
        pool.prefer(endpoint);
        try {
          return decodeJson(resDesc, text);
        } catch (err) {
          if (o.idempotent) throw err;
          throw new AppliedUnreadableError(err, endpoint);
        }
      }
      let err: KvError;
      try {
        err = kvErrorFromBody(JSON.parse(text) as ErrorBody);
      } catch {
        err = new KvError('InvalidArgument', `cairn client: ${endpoint} answered ${res.status}: ${text.slice(0, 200)}`);
      }
      memberError = err;
      if (NOT_APPLIED.has(err.code)) continue;
      if (MAYBE_APPLIED.has(err.code)) {
        if (o.idempotent) continue;
        throw new OutcomeUnknownError(err, endpoint);
      }
      throw err;
    }
  }
  throw memberError ?? connectFailure ?? new KvError('InvalidArgument', 'cairn client: no endpoint was tried');
}
