/**
 * Auth tokens (etcd `auth/simple_token.go`, `auth/jwt.go`).
 *
 * simple: 16 random letters, `.`, and the raft index of the Authenticate entry. Every member
 * records the token when it applies that entry and keeps it in memory only, with a sliding TTL
 * (`--auth-token-ttl`, default 300 s, renewed on each use). The map is bounded: past
 * MAX_SIMPLE_TOKENS the oldest token is dropped.
 *
 * jwt: signed with the configured key (library `jose`); claims `username`, `revision` (the auth
 * revision at issue) and `exp`. Stateless, so any auth change voids older tokens through the
 * revision check ("revision of auth store is old").
 */
import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../../util/clock.js';
import { KvError } from '../../util/errors.js';

export const DEFAULT_TOKEN_TTL_SECONDS = 300;
export const MAX_SIMPLE_TOKENS = 100_000;
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** What a token says about its holder. `revision` only for JWTs (simple tokens use the current one). */
export interface TokenInfo {
  readonly user: string;
  readonly revision?: number;
}

/** The random half of a simple token (the proposer draws it; apply appends the index). */
export function simpleTokenPrefix(random: (n: number) => Uint8Array): string {
  return [...random(16)].map((b) => LETTERS[b % LETTERS.length]).join('');
}

/** The raft index a simple token names, or undefined when it is not one. */
export function simpleTokenIndex(token: string): number | undefined {
  const m = /^[a-zA-Z]{16}\.(\d{1,15})$/.exec(token);
  return m === null ? undefined : Number(m[1]);
}

export class SimpleTokens {
  /** token → user and expiry; insertion order is age order (for the bound). */
  private readonly tokens = new Map<string, { user: string; expires: number }>();

  constructor(private readonly clock: Clock, private readonly ttlMs: number, private readonly max = MAX_SIMPLE_TOKENS) {}

  add(token: string, user: string): void {
    this.sweep();
    this.tokens.delete(token);
    this.tokens.set(token, { user, expires: this.clock.now() + this.ttlMs });
    while (this.tokens.size > this.max) this.tokens.delete(this.tokens.keys().next().value as string);
  }

  /** The token's user, renewing its TTL; undefined for an unknown or expired token. */
  lookup(token: string): string | undefined {
    const t = this.tokens.get(token);
    if (t === undefined) return undefined;
    const now = this.clock.now();
    if (t.expires <= now) {
      this.tokens.delete(token);
      return undefined;
    }
    t.expires = now + this.ttlMs;
    return t.user;
  }

  /** Ends one user's tokens, or all of them. */
  revoke(user: string | undefined): void {
    if (user === undefined) {
      this.tokens.clear();
      return;
    }
    for (const [token, t] of this.tokens) if (t.user === user) this.tokens.delete(token);
  }

  get size(): number {
    return this.tokens.size;
  }

  /** Drops expired tokens, a full pass every 1024 additions once there are many (renewals reorder nothing). */
  private sweep(): void {
    if (this.tokens.size < 1024 || this.tokens.size % 1024 !== 0) return;
    const now = this.clock.now();
    for (const [token, t] of this.tokens) if (t.expires <= now) this.tokens.delete(token);
  }
}

export interface JwtOptions {
  readonly signMethod: string;
  /** Absent: verify-only (another member signs). */
  readonly privateKey?: KeyObject;
  readonly publicKey: KeyObject;
  readonly ttlSeconds: number;
}

export class JwtTokens {
  constructor(private readonly o: JwtOptions) {}

  async sign(user: string, revision: number): Promise<string> {
    if (this.o.privateKey === undefined) throw new KvError('Unknown', 'auth: token signing attempted with verify-only key');
    return new SignJWT({ username: user, revision })
      .setProtectedHeader({ alg: this.o.signMethod, typ: 'JWT' })
      .setExpirationTime(Math.floor(Date.now() / 1000) + this.o.ttlSeconds)
      .sign(this.o.privateKey);
  }

  async verify(token: string): Promise<TokenInfo | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.o.publicKey, { algorithms: [this.o.signMethod] });
      const { username, revision } = payload as { username?: unknown; revision?: unknown };
      if (typeof username !== 'string' || typeof revision !== 'number') return undefined;
      return { user: username, revision };
    } catch {
      return undefined;
    }
  }
}

export type TokenConfig = { readonly kind: 'simple' } | { readonly kind: 'jwt'; readonly jwt: JwtOptions };

const SIGN_METHODS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512']);

/**
 * etcd's `--auth-token`: `simple`, or `jwt,pub-key=P,priv-key=K,sign-method=M[,ttl=D]`. Errors
 * carry etcd's startup texts; unknown `k=v` options are ignored (etcd only warns).
 */
export function parseAuthToken(spec: string, readFile: (path: string) => Buffer = readFileSync): TokenConfig {
  const [kind, ...opts] = spec.split(',');
  if (kind === 'simple') return { kind: 'simple' };
  if (kind !== 'jwt') throw new Error('auth: invalid auth options');
  const o = new Map(opts.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
  const signMethod = o.get('sign-method') ?? '';
  if (!SIGN_METHODS.has(signMethod)) throw new Error('auth: invalid auth options');
  const ttlSeconds = o.has('ttl') ? parseGoDurationSeconds(o.get('ttl') as string) : 300;
  const priv = o.get('priv-key');
  const pub = o.get('pub-key');
  if (signMethod.startsWith('HS')) {
    if (priv === undefined) throw new Error('auth: missing key data');
    const key = createSecretKey(readFile(priv));
    return { kind: 'jwt', jwt: { signMethod, privateKey: key, publicKey: key, ttlSeconds } };
  }
  if (priv === undefined && pub === undefined) throw new Error('auth: missing key data');
  const privateKey = priv === undefined ? undefined : createPrivateKey(readFile(priv));
  const publicKey = pub === undefined ? createPublicKey(privateKey as KeyObject) : createPublicKey(readFile(pub));
  return { kind: 'jwt', jwt: { signMethod, ...(privateKey ? { privateKey } : {}), publicKey, ttlSeconds } };
}

/** Go durations as etcd's jwt ttl takes them: `5m`, `30s`, `1h30m`. */
function parseGoDurationSeconds(text: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * (units[m[2] as string] as number);
    consumed += m[0].length;
  }
  if (consumed !== text.length || consumed === 0 || total <= 0) throw new Error(`auth: invalid jwt ttl ${JSON.stringify(text)}`);
  return Math.max(1, Math.round(total));
}
