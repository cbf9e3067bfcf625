/**
 * One unary gateway call with endpoint failover (etcd clientv3's retry policy, adapted to
 * HTTP): a request that provably was not applied moves on to the next endpoint; a read that
 * timed out is retried elsewhere; a write that might have been applied is never resent.
 */
import { decodeJson, encodeMessage, kvErrorFromBody, type ErrorBody, type MessageDesc } from '../api/json.js';
import { KvError } from '../util/errors.js';
import { AppliedUnreadableError, MAYBE_APPLIED, NOT_APPLIED, neverSent, OutcomeUnknownError } from './errors.js';

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
  let lastError: unknown = new KvError('NoLeader');
  for (let round = 0; round < o.rounds; round++) {
    if (round > 0) await sleep(Math.min(1000, 50 * 2 ** round));
    for (const endpoint of pool.order()) {
      let res: Response;
      try {
        res = await fetch(new URL(path, endpoint), {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', ...o.headers },
          signal: AbortSignal.timeout(o.timeoutMs),
        });
      } catch (err) {
        lastError = err;
        if (neverSent(err) || o.idempotent) continue;
        throw new OutcomeUnknownError(err, endpoint);
      }
      const text = await res.text();
      if (res.ok) {
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
      lastError = err;
      if (NOT_APPLIED.has(err.code)) continue;
      if (MAYBE_APPLIED.has(err.code)) {
        if (o.idempotent) continue;
        throw new OutcomeUnknownError(err, endpoint);
      }
      throw err;
    }
  }
  throw lastError instanceof KvError ? lastError : new KvError('NoLeader', `etcdserver: no leader (no endpoint answered: ${(lastError as Error)?.message ?? lastError})`);
}
