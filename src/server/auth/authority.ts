/**
 * A member's auth: the replicated AuthStore, the token providers, who a request comes from, and
 * the checks every transport's request goes through (caller-service.ts). Writes carry an
 * AuthStamp (user, auth revision of the check) through raft; at apply a stamp older than the
 * store's revision is refused with "revision of auth store is old", so a write checked against
 * permissions that changed before it committed never applies (etcd's applier does the same).
 */
import { randomBytes } from 'node:crypto';
import type { Credentials } from '../../api/auth-types.js';
import type { Backend, BackendOp } from '../../storage/backend.js';
import type { Clock } from '../../util/clock.js';
import { KvError } from '../../util/errors.js';
import type { AuthRequest, AuthStamp } from './auth-requests.js';
import { AuthStore } from './auth-store.js';
import { DEFAULT_BCRYPT_COST, hashPassword, verifyPassword } from './password.js';
import { DEFAULT_TOKEN_TTL_SECONDS, JwtTokens, parseAuthToken, SimpleTokens, simpleTokenIndex, simpleTokenPrefix, type TokenConfig } from './tokens.js';

/** The caller of one request: `user` undefined when no identity was given. */
export interface Caller {
  readonly user: string | undefined;
  /** A verified certificate without a CN: etcd's user "", whom no key permission names. */
  readonly namelessCertificate?: true;
  /** The auth revision the caller's permissions are checked at. */
  readonly revision: number;
}

export interface AuthOptions {
  /** etcd's --auth-token (default `simple`). */
  readonly authToken?: string;
  /** etcd's --auth-token-ttl in seconds (≤ 0: 300). */
  readonly authTokenTtlSeconds?: number;
  /** etcd's --bcrypt-cost, mapped to scrypt's cost (password.ts). */
  readonly bcryptCost?: number;
}

export interface AuthorityDeps {
  readonly store: AuthStore;
  readonly clock: Clock;
  readonly options: AuthOptions;
  /** Proposes an auth request through raft; resolves with its apply result. */
  propose(request: AuthRequest): Promise<unknown>;
  /** A linearizable barrier: resolves once this member has applied everything committed before the call. */
  barrier(): Promise<void>;
  appliedIndex(): number;
  /** Token randomness; crypto-strong by default (a token is a bearer secret). */
  readonly random?: (n: number) => Uint8Array;
}

/** Times Authenticate is retried when the auth state changed between the check and apply. */
const AUTHENTICATE_ATTEMPTS = 3;

export class Authority {
  readonly store: AuthStore;
  private readonly simple: SimpleTokens;
  private readonly jwt: JwtTokens | undefined;
  readonly bcryptCost: number;

  constructor(private readonly d: AuthorityDeps) {
    this.store = d.store;
    const ttl = d.options.authTokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
    this.simple = new SimpleTokens(d.clock, (ttl > 0 ? ttl : DEFAULT_TOKEN_TTL_SECONDS) * 1000);
    const tokens: TokenConfig = parseAuthToken(d.options.authToken ?? 'simple');
    this.jwt = tokens.kind === 'jwt' ? new JwtTokens(tokens.jwt) : undefined;
    this.bcryptCost = d.options.bcryptCost ?? DEFAULT_BCRYPT_COST;
    this.store.onRevoke = (user) => this.simple.revoke(user);
  }

  get enabled(): boolean {
    return this.store.enabled;
  }

  // ---- apply (every member, log order) -----------------------------------------------------

  /**
   * Refuses a client write whose permissions were checked against other auth state than the one
   * it applies under: an older auth revision, or auth still off (enable does not bump the
   * revision). Unstamped requests are the member's own (lease expiry, alarms) or an embedding
   * host's, and pass.
   */
  admit(stamp: AuthStamp | undefined): void {
    if (stamp === undefined || !this.store.enabled) return;
    if (stamp.open === true || stamp.revision < this.store.revision) throw new KvError('AuthOldRevision');
  }

  async apply(request: AuthRequest, extra: readonly BackendOp[], index: number, backend: Backend): Promise<unknown> {
    const { ops } = this.store.apply(request);
    await backend.write([...ops, ...extra]);
    if (request.type !== 'authenticate') return {};
    const token = `${request.prefix}.${index}`;
    this.simple.add(token, request.name);
    return { token };
  }

  // ---- identity ------------------------------------------------------------------------------

  /**
   * The caller, or undefined while auth is off (tokens are then ignored, as etcd 3.5.10+ does).
   * A token wins over a certificate CN (etcd-auth-tls §6); a bad token is 401 whatever else.
   */
  async identify(creds: Credentials): Promise<Caller | undefined> {
    if (!this.store.enabled) return undefined;
    if (creds.token !== undefined && creds.token !== '') return this.fromToken(creds.token);
    if (creds.commonName !== undefined && creds.commonName !== '') return { user: creds.commonName, revision: this.store.revision };
    // etcd's AuthInfoFromTLS names the user "" at the current revision: key checks look that user
    // up and answer `permission denied`; the admin check refuses the empty name (`user name is empty`).
    if (creds.commonName === '') return { user: undefined, revision: this.store.revision, namelessCertificate: true };
    return { user: undefined, revision: this.store.revision };
  }

  private async fromToken(token: string): Promise<Caller> {
    if (this.jwt !== undefined) {
      const info = await this.jwt.verify(token);
      if (info === undefined) throw new KvError('InvalidAuthToken');
      if ((info.revision ?? 0) < this.store.revision) throw new KvError('AuthOldRevision');
      return { user: info.user, revision: info.revision ?? this.store.revision };
    }
    let user = this.simple.lookup(token);
    const index = simpleTokenIndex(token);
    // A token issued through an entry this member has not applied yet (a lagging follower):
    // wait once for a read barrier (bounded by the request timeout), never forever (etcd hangs).
    if (user === undefined && index !== undefined && index > this.d.appliedIndex()) {
      await this.d.barrier();
      user = this.simple.lookup(token);
    }
    if (user === undefined) throw new KvError('InvalidAuthToken');
    return { user, revision: this.store.revision };
  }

  // ---- login ---------------------------------------------------------------------------------

  /** etcd's Authenticate: a read barrier, the password check here, then a raft entry (simple tokens). */
  async authenticate(name: string, password: string): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      if (!this.store.enabled) throw new KvError('AuthNotEnabled');
      await this.d.barrier();
      const revision = this.store.revision;
      await this.checkPassword(name, password);
      if (this.jwt !== undefined) {
        if (revision === this.store.revision) return this.jwt.sign(name, revision);
        if (attempt >= AUTHENTICATE_ATTEMPTS) throw new KvError('AuthOldRevision');
        continue;
      }
      try {
        const r = (await this.d.propose({ type: 'authenticate', name, prefix: simpleTokenPrefix(this.d.random ?? randomBytes), revision })) as { token: string };
        return r.token;
      } catch (err) {
        if (!(err instanceof KvError && err.code === 'AuthOldRevision') || attempt >= AUTHENTICATE_ATTEMPTS) throw err;
      }
    }
  }

  private async checkPassword(name: string, password: string): Promise<void> {
    const user = this.store.user(name);
    if (user === undefined) throw new KvError('AuthFailed');
    if (user.noPassword || user.hash === undefined) throw new KvError('AuthNoPasswordUser');
    if (!(await verifyPassword(password, user.hash))) throw new KvError('AuthFailed');
  }

  hash(password: string): Promise<string> {
    return hashPassword(password, this.bcryptCost);
  }

  // ---- checks --------------------------------------------------------------------------------

  /** Some identity (etcd's "authenticated" calls: lease grant, member list, status …). */
  requireUser(caller: Caller | undefined, raw = false): void {
    if (caller !== undefined && caller.user === undefined) throw new KvError(raw ? 'UserEmptyRaw' : 'UserEmpty');
  }

  isAdmin(caller: Caller | undefined): boolean {
    return caller === undefined || (caller.user !== undefined && this.store.isRoot(caller.user));
  }

  /**
   * The root role (etcd's IsAdminPermitted). `raw` for the maintenance calls whose auth errors
   * etcd leaves unmapped (code 2, `auth: …`).
   */
  requireAdmin(caller: Caller | undefined, raw = false): void {
    if (caller === undefined) return;
    this.requireUser(caller, raw);
    const user = caller.user as string;
    if (this.store.user(user) === undefined) throw raw ? new KvError('Unknown', 'auth: user not found') : new KvError('UserNotFound');
    if (!this.store.isRoot(user)) throw new KvError(raw ? 'PermissionDeniedRaw' : 'PermissionDenied');
  }

  requireRead(caller: Caller | undefined, key: Uint8Array, rangeEnd?: Uint8Array): void {
    this.requireKeys(caller, (p) => p.canRead(key, rangeEnd));
  }

  requireWrite(caller: Caller | undefined, key: Uint8Array, rangeEnd?: Uint8Array): void {
    this.requireKeys(caller, (p) => p.canWrite(key, rangeEnd));
  }

  private requireKeys(caller: Caller | undefined, allowed: (p: NonNullable<ReturnType<AuthStore['permissions']>>) => boolean): void {
    if (caller === undefined) return;
    if (caller.namelessCertificate === true) throw new KvError('PermissionDenied');
    this.requireUser(caller);
    const user = caller.user as string;
    if (this.store.isRoot(user)) return;
    const perms = this.store.permissions(user);
    if (perms === undefined || !allowed(perms)) throw new KvError('PermissionDenied');
  }

  /** What a write carries through raft, so apply can refuse it if auth changed since the check. */
  stamp(caller: Caller | undefined): AuthStamp {
    return caller === undefined ? { user: '', revision: this.store.revision, open: true } : { user: caller.user ?? '', revision: caller.revision };
  }
}

export { AuthStore };
