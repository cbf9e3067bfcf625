/** What every route plugin receives from buildApp. */
import type { KV } from '../api/kv.js';
import type { Limits } from './limits.js';

export interface HttpContext {
  readonly service: KV;
  readonly limits: Limits;
  /** Every gateway path served, so a wrong method answers 405 instead of 404. */
  readonly gatewayPaths: Set<string>;
}
