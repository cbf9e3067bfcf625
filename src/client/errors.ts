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

/**
 * The server answered success, so a write was applied, but the answer could not be decoded
 * (e.g. a real etcd's 64-bit IDs beyond 2^53). Never a plain failure: the caller must not
 * conclude that nothing happened.
 */
export class AppliedUnreadableError extends KvError {
  readonly applied = true;
  constructor(override readonly cause: unknown, endpoint: string) {
    super('Unknown', `cairn client: ${endpoint} applied the request, but its answer could not be read (${(cause as Error)?.message ?? String(cause)})`);
  }
}

/** Server answers that prove the request was not applied: safe to send again, elsewhere. */
export const NOT_APPLIED: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['NoLeader', 'ProposalDropped', 'NotCapable', 'TooManyRequests']);

/** Server answers meaning "no result in time": the write may still be applied later. */
export const MAYBE_APPLIED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'Timeout', 'TimeoutDueToLeaderFail', 'TimeoutDueToConnectionLost', 'TimeoutWaitAppliedIndex', 'LeaderChanged', 'Stopped',
]);
