/**
 * Which of the member's refusals mean "log in (again)". etcd's gateway answers a caller it does
 * not know with HTTP 400 (no token: "user name is empty"; a token from before an auth change:
 * "revision of auth store is old", both InvalidArgument) or 401 ("invalid auth token",
 * Unauthenticated), and /ui/api/cluster answers as the gateway does; the plain /kv/ API and its
 * SSE watch answer 401 for all three. "permission denied" (403, code 7) is not one of them: a
 * new login as the same user would be refused again, so the page explains it instead.
 */
const LOGIN_AGAIN = new Set(['etcdserver: user name is empty', 'etcdserver: revision of auth store is old', 'etcdserver: invalid auth token']);

/** gRPC's PermissionDenied, etcd's "permission denied". */
export const PERMISSION_DENIED = 7;

/** `message`: the `message` field of the JSON error body, when there is one. */
export function asksForLogin(status: number, message: unknown): boolean {
  if (status === 401) return true;
  return status === 400 && typeof message === 'string' && LOGIN_AGAIN.has(message);
}

export function isPermissionDenied(status: number, code: number | undefined): boolean {
  return status === 403 || code === PERMISSION_DENIED;
}
