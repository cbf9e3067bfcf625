/**
 * Every request the dashboard makes, to the member that served it (same origin, relative
 * URLs): the v3 JSON gateway, the plain /kv/ API, /metrics and /ui/api/cluster. When the member
 * does not know the caller (auth enabled; auth-answers.ts), the login form asks for a user and
 * password, trades them for a token at etcd's `/v3/auth/authenticate`, and the token goes in
 * `Authorization` as etcd's gateway expects; the member checks it on every request exactly as
 * for any other client.
 */
import { asksForLogin, isPermissionDenied } from './auth-answers.js';
import { fromBase64, toBase64, utf8 } from './bytes.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** etcd's gRPC code from the error body, when there is one. */
    readonly code: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'cairn-token';
const USER_KEY = 'cairn-user';
let token: string | null = sessionStorage.getItem(TOKEN_KEY);
let askLogin: (() => Promise<void>) | undefined;
let pendingLogin: Promise<void> | undefined;

/** main.ts installs the login form here. */
export function onUnauthorized(ask: () => Promise<void>): void {
  askLogin = ask;
}

export async function login(name: string, password: string): Promise<void> {
  const res = await fetch('/v3/auth/authenticate', { method: 'POST', body: JSON.stringify({ name, password }) });
  const body = (await res.json().catch(() => ({}))) as { token?: string; message?: string; code?: number };
  if (!res.ok || body.token === undefined) throw new ApiError(res.status, body.code, body.message ?? `login failed (HTTP ${res.status})`);
  token = body.token;
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.setItem(USER_KEY, name);
}

async function needsLogin(res: Response): Promise<boolean> {
  if (res.status !== 400) return asksForLogin(res.status, undefined);
  const body = (await res.clone().json().catch(() => ({}))) as { message?: unknown };
  return asksForLogin(res.status, body.message);
}

/** fetch with the token; an unknown caller is asked to log in once, and the request retried. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const send = (): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (token !== null) headers.set('authorization', token);
    return fetch(path, { ...init, headers });
  };
  const res = await send();
  if (askLogin === undefined || !(await needsLogin(res))) return res;
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  pendingLogin ??= askLogin().finally(() => (pendingLogin = undefined));
  await pendingLogin;
  return send();
}

export async function errorFrom(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { message?: string; code?: number };
    return new ApiError(res.status, body.code, body.message ?? text);
  } catch {
    return new ApiError(res.status, undefined, text.trim() || `HTTP ${res.status}`);
  }
}

/** One unary gateway call: POST JSON, JSON back (int64 fields as strings). */
export async function rpc<T>(path: string, body: unknown = {}, signal?: AbortSignal): Promise<T> {
  const res = await request(path, { method: 'POST', body: JSON.stringify(body), signal: signal ?? null });
  if (!res.ok) throw await errorFrom(res);
  return (await res.json()) as T;
}

export async function getText(path: string): Promise<string> {
  const res = await request(path);
  if (!res.ok) throw await errorFrom(res);
  return res.text();
}

export async function getJson<T>(path: string): Promise<T> {
  return JSON.parse(await getText(path)) as T;
}

/** The gateway's KeyValue. */
export interface GwKv {
  readonly key: string;
  readonly value?: string;
  readonly create_revision?: string;
  readonly mod_revision?: string;
  readonly version?: string;
  readonly lease?: string;
}

export interface GwHeader {
  readonly revision?: string;
  readonly raft_term?: string;
  readonly member_id?: string;
}

export interface GwRange {
  readonly header: GwHeader;
  readonly kvs?: readonly GwKv[];
  readonly count?: string;
  readonly more?: boolean;
}

export interface GwTxn {
  readonly header: GwHeader;
  readonly succeeded?: boolean;
  readonly responses?: ReadonlyArray<{ readonly response_range?: GwRange }>;
}

export const b64 = (s: string | Uint8Array): string => toBase64(typeof s === 'string' ? utf8(s) : s);
export const bytesOf = fromBase64;

/** Turns an ApiError into what an operator should read. */
export function describe(err: unknown): string {
  if (err instanceof ApiError && isPermissionDenied(err.status, err.code)) {
    const user = sessionStorage.getItem(USER_KEY);
    return `Permission denied: ${user === null ? 'you are' : `user "${user}" is`} not allowed to do this (${err.message}). An administrator grants it with \`cairn role grant-permission\`.`;
  }
  if (err instanceof ApiError) return err.code === undefined ? `${err.message} (HTTP ${err.status})` : err.message;
  return err instanceof Error ? err.message : String(err);
}
