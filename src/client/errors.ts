/**
 * Client-side failure classes. The one that matters most: a write whose outcome is unknown
 * (sent, then the connection or the server timed out) is never retried blindly; the caller
 * learns it may or may not have been applied.
 */
import { KvError, type ErrorCode } from '../util/errors.js';

export class OutcomeUnknownError extends KvError {
  constructor(override readonly cause: unknown, endpoint: string) {
    super('Timeout', `cairn client: the request to ${endpoint} may or may not have been applied (${(cause as Error)?.message ?? String(cause)})`);
  }
}

/** Server answers that prove the request was not applied: safe to send again, elsewhere. */
export const NOT_APPLIED: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['NoLeader', 'ProposalDropped', 'NotCapable', 'TooManyRequests']);

/** Server answers meaning "no result in time": the write may still be applied later. */
export const MAYBE_APPLIED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'Timeout', 'TimeoutDueToLeaderFail', 'TimeoutDueToConnectionLost', 'TimeoutWaitAppliedIndex', 'LeaderChanged', 'Stopped',
]);
