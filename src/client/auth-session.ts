/**
 * A client's login (etcd clientv3's auth): the first call authenticates with the user's name and
 * password, later calls send the token, and a call refused because the token expired or the auth
 * store moved on ("invalid auth token", "revision of auth store is old") logs in again once and
 * is retried, as etcdctl does. A server with auth off ("authentication is not enabled") is
 * called without a token, as etcdctl tolerates.
 */
import { isKvError, KvError } from '../util/errors.js';

/** The login itself failed (etcdctl exits 2 for it, as for a failed connection). */
export class LoginError extends KvError {
  constructor(cause: KvError) {
    super(cause.code, cause.message);
  }
}

export class AuthSession {
  /** undefined: not logged in yet; '': auth is off on the server. */
  private token: string | undefined;
  private pending: Promise<string> | undefined;

  constructor(private readonly login: () => Promise<string>) {}

  /** The header carrying a valid token (logging in first when there is none). */
  async headers(): Promise<Record<string, string>> {
    if (this.token === undefined) {
      this.pending ??= this.loginOnce().finally(() => (this.pending = undefined));
      this.token = await this.pending;
    }
    return this.current();
  }

  /** The token header as it stands (empty before the first login). */
  current(): Record<string, string> {
    return this.token === undefined || this.token === '' ? {} : { authorization: this.token };
  }

  /** Runs `call` with the token; once more with a fresh one if the server refused the token. */
  async run<T>(call: (headers: Record<string, string>) => Promise<T>): Promise<T> {
    const headers = await this.headers();
    try {
      return await call(headers);
    } catch (err) {
      if (!isKvError(err, 'InvalidAuthToken') && !isKvError(err, 'AuthOldRevision') && !isKvError(err, 'UserEmpty')) throw err;
      if ((this.token ?? '') === (headers['authorization'] ?? '')) this.token = undefined;
      return call(await this.headers());
    }
  }

  private async loginOnce(): Promise<string> {
    try {
      return await this.login();
    } catch (err) {
      if (isKvError(err, 'AuthNotEnabled')) return '';
      throw err instanceof KvError ? new LoginError(err) : err;
    }
  }
}
