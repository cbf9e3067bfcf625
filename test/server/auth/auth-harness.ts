/** A real member behind the gateway with auth served, and a terse way to call it. */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/http/app.js';
import { CallerService } from '../../../src/server/auth/caller-service.js';
import type { Member } from '../../../src/server/member.js';
import { MemberService } from '../../../src/server/service.js';

export const b64 = (s: string): string => Buffer.from(s, 'latin1').toString('base64');

export function authApp(member: Member): FastifyInstance {
  const service = new MemberService(member);
  return buildApp({ service, caller: (creds) => new CallerService(service, member.auth, creds) });
}

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, unknown>;
}

export async function call(app: FastifyInstance, path: string, payload: object = {}, token?: string): Promise<Answer> {
  const res = await app.inject({ method: 'POST', url: path, payload, headers: token === undefined ? {} : { authorization: token } });
  let body: Record<string, unknown>;
  try {
    body = res.json();
  } catch {
    body = { text: res.body };
  }
  return { status: res.statusCode, body, headers: res.headers };
}

/** Status and error text only, for compact expectations. */
export function brief(a: Answer): [number, string | undefined] {
  return [a.status, a.body['error'] as string | undefined];
}

/**
 * etcd-auth-tls §9's fixture: root (role root), alice (r1: READ foo, READWRITE prefix a/,
 * WRITE [k1,k5), READ from z; r3: READ [a0,a5)), bob (READ foo). Returns the users' tokens.
 */
export async function fixture(app: FastifyInstance): Promise<{ root: string; alice: string; bob: string }> {
  const steps: [string, object][] = [
    ['/v3/auth/user/add', { name: 'root', password: 'rootpw' }],
    ['/v3/auth/role/add', { name: 'root' }],
    ['/v3/auth/user/grant', { user: 'root', role: 'root' }],
    ['/v3/auth/user/add', { name: 'alice', password: 'alicepw' }],
    ['/v3/auth/user/add', { name: 'bob', password: 'bobpw' }],
    ['/v3/auth/role/add', { name: 'r1' }],
    ['/v3/auth/role/add', { name: 'r3' }],
    ['/v3/auth/role/add', { name: 'rb' }],
    ['/v3/auth/role/grant', { name: 'r1', perm: { key: b64('foo') } }],
    ['/v3/auth/role/grant', { name: 'r1', perm: { permType: 'READWRITE', key: b64('a/'), range_end: b64('a0') } }],
    ['/v3/auth/role/grant', { name: 'r1', perm: { permType: 'WRITE', key: b64('k1'), range_end: b64('k5') } }],
    ['/v3/auth/role/grant', { name: 'r1', perm: { key: b64('z'), range_end: b64('\0') } }],
    ['/v3/auth/role/grant', { name: 'r3', perm: { key: b64('a0'), range_end: b64('a5') } }],
    ['/v3/auth/role/grant', { name: 'rb', perm: { key: b64('foo') } }],
    ['/v3/auth/user/grant', { user: 'alice', role: 'r1' }],
    ['/v3/auth/user/grant', { user: 'alice', role: 'r3' }],
    ['/v3/auth/user/grant', { user: 'bob', role: 'rb' }],
    ['/v3/auth/enable', {}],
  ];
  for (const [path, body] of steps) {
    const a = await call(app, path, body);
    if (a.status !== 200) throw new Error(`${path} ${JSON.stringify(body)}: ${a.status} ${JSON.stringify(a.body)}`);
  }
  const token = async (name: string, password: string): Promise<string> => {
    const a = await call(app, '/v3/auth/authenticate', { name, password });
    if (a.status !== 200) throw new Error(`authenticate ${name}: ${a.status} ${JSON.stringify(a.body)}`);
    return a.body['token'] as string;
  };
  return { root: await token('root', 'rootpw'), alice: await token('alice', 'alicepw'), bob: await token('bob', 'bobpw') };
}
