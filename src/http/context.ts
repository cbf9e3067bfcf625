/** What every route plugin receives from buildApp. */
import type { FastifyRequest } from 'fastify';
import type { Auth, KV } from '../api/kv.js';
import type { ByteBudget } from '../util/byte-budget.js';
import type { Limits } from './limits.js';

export interface HttpContext {
  /** The member without a caller: status checks and tests. Requests go through `serviceFor`. */
  readonly service: KV;
  /** The member as this request's caller sees it (auth checked there, src/server/auth). */
  serviceFor(request: FastifyRequest): KV;
  /** The Auth service for this request's caller; undefined when the app serves no auth. */
  authFor(request: FastifyRequest): Auth | undefined;
  readonly limits: Limits;
  /** Member-wide bound on bytes of range responses being read or written (issue 15). */
  readonly rangeBudget: ByteBudget;
  /** Every gateway path served, so a wrong method answers 405 instead of 404. */
  readonly gatewayPaths: Set<string>;
}
