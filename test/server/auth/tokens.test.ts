import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAuthToken, SimpleTokens } from '../../../src/server/auth/tokens.js';
import { ManualClock } from '../../../src/util/clock.js';
import { startCluster, type TestCluster } from '../cluster-harness.js';
import { authApp, b64, brief, call, fixture } from './auth-harness.js';

let cluster: TestCluster | undefined;
let dir: string | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('simple tokens', () => {
  it('have a sliding TTL: each use renews it; idle past it they are gone (etcd §4.3)', () => {
    const clock = new ManualClock();
    const tokens = new SimpleTokens(clock, 3000);
    tokens.add('t.1', 'alice');
    for (let i = 0; i < 5; i++) {
      clock.advance(2000);
      expect(tokens.lookup('t.1')).toBe('alice');
    }
    clock.advance(3000);
    expect(tokens.lookup('t.1')).toBeUndefined();
  });

  it('are bounded: past the limit the oldest goes', () => {
    const tokens = new SimpleTokens(new ManualClock(), 1000, 3);
    for (const t of ['a', 'b', 'c', 'd']) tokens.add(t, t);
    expect(tokens.size).toBe(3);
    expect(tokens.lookup('a')).toBeUndefined();
    expect(tokens.lookup('d')).toBe('d');
  });

  it('expire on a member with --auth-token-ttl', async () => {
    cluster = await startCluster(1, { bcryptCost: 4, authTokenTtlSeconds: 1 });
    const app = authApp(await cluster.leader());
    const t = await fixture(app);
    await new Promise((r) => setTimeout(r, 1200));
    expect(brief(await call(app, '/v3/kv/range', { key: b64('foo') }, t.alice))).toEqual([401, 'etcdserver: invalid auth token']);
  });

  it('a well-formed token naming a future raft index fails instead of hanging (etcd 3.4.23 hangs)', async () => {
    cluster = await startCluster(1, { bcryptCost: 4 });
    const app = authApp(await cluster.leader());
    await fixture(app);
    expect(brief(await call(app, '/v3/kv/range', { key: b64('foo') }, 'XXXXXXXXXXXXXXXX.99999999'))).toEqual([401, 'etcdserver: invalid auth token']);
  });
});

describe('JWT tokens (--auth-token jwt,…)', () => {
  function keys(): { priv: string; pub: string } {
    dir = mkdtempSync(join(tmpdir(), 'cairn-jwt-'));
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const priv = join(dir, 'priv.pem');
    const pub = join(dir, 'pub.pem');
    writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
    return { priv, pub };
  }

  it('parses etcd\'s option string and refuses what etcd refuses', () => {
    const { priv, pub } = keys();
    expect(parseAuthToken('simple')).toEqual({ kind: 'simple' });
    expect(() => parseAuthToken('jwt')).toThrow('auth: invalid auth options');
    expect(() => parseAuthToken('jwt,sign-method=RS256')).toThrow('auth: missing key data');
    expect(() => parseAuthToken('bogus')).toThrow('auth: invalid auth options');
    const cfg = parseAuthToken(`jwt,pub-key=${pub},priv-key=${priv},sign-method=RS256,ttl=8s`);
    expect(cfg.kind === 'jwt' && cfg.jwt.ttlSeconds).toBe(8);
  });

  it('signs RS256 tokens with etcd\'s claims; any auth change makes older ones "revision of auth store is old"', async () => {
    const { priv, pub } = keys();
    cluster = await startCluster(1, { bcryptCost: 4, authToken: `jwt,pub-key=${pub},priv-key=${priv},sign-method=RS256,ttl=5m` });
    const app = authApp(await cluster.leader());
    const t = await fixture(app);
    const [header, payload] = t.alice.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>);
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(payload).toMatchObject({ username: 'alice', revision: expect.any(Number), exp: expect.any(Number) });
    expect(brief(await call(app, '/v3/kv/range', { key: b64('foo') }, t.alice))).toEqual([200, undefined]);
    expect(brief(await call(app, '/v3/auth/role/add', { name: 'another' }, t.root))).toEqual([200, undefined]);
    expect(brief(await call(app, '/v3/kv/range', { key: b64('foo') }, t.alice))).toEqual([400, 'etcdserver: revision of auth store is old']);
    const forged = `${t.alice.slice(0, -4)}AAAA`;
    expect(brief(await call(app, '/v3/kv/range', { key: b64('foo') }, forged))).toEqual([401, 'etcdserver: invalid auth token']);
  });
});
