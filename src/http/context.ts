/** What every route plugin receives from buildApp. */
import type { KV } from '../api/kv.js';
import type { ByteBudget } from '../util/byte-budget.js';
import type { Limits } from './limits.js';

export interface HttpContext {
  readonly service: KV;
  readonly limits: Limits;
  /** Member-wide bound on bytes of range responses being read or written (issue 15). */
  readonly rangeBudget: ByteBudget;
  /** Every gateway path served, so a wrong method answers 405 instead of 404. */
  readonly gatewayPaths: Set<string>;
}
