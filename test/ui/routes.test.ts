/**
 * The member's /ui routes without a browser: the built files with their security headers, 503
 * when the build is missing, nothing at all with --no-ui, and /ui/api/cluster's view of members
 * that answer, do not answer, or have not started.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadUiAssets, MAX_UI_FILES } from '../../src/ui/assets.js';
import type { ClusterView, MemberStatusView } from '../../src/ui/cluster-view.js';
import { UI_CSP } from '../../src/ui/routes.js';
import type { Auth, Credentials, KV } from '../../src/api/kv.js';
import { buildApp } from '../../src/http/app.js';
import { KvError } from '../../src/util/errors.js';
import { FakeService, MEMBER_ID } from '../http/fake-service.js';
import { newApp } from '../http/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cairn-ui-assets-'));
mkdirSync(join(dir, 'assets'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>cairn</title>');
writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
writeFileSync(join(dir, 'notes.txt'), 'not served: no known type');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const peerStatus: MemberStatusView = { dbSize: '4096', leader: String(MEMBER_ID), raftIndex: '12', raftTerm: '2', raftAppliedIndex: '11', version: '3.4.23', errors: [] };

describe('/ui', () => {
  it('serves index.html and hashed assets with a same-origin-only CSP', async () => {
    const { app } = newApp({ ui: { assets: loadUiAssets(dir) } });
    const redirect = await app.inject({ url: '/ui' });
    expect(redirect.statusCode).toBe(301);
    expect(redirect.headers.location).toBe('/ui/');
    const index = await app.inject({ url: '/ui/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toBe(UI_CSP);
    expect(UI_CSP).toContain("connect-src 'self'");
    expect(UI_CSP).toContain("frame-ancestors 'none'");
    expect(index.headers['x-frame-options']).toBe('DENY');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.body).toContain('<title>cairn</title>');
    const js = await app.inject({ url: '/ui/assets/index-abc.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toContain('immutable');
    expect((await app.inject({ url: '/ui/notes.txt' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/ui/../package.json' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/ui/%2e%2e/package.json' })).statusCode).toBe(404);
    await app.close();
  });

  it('answers 503 with the reason when the UI was not built', async () => {
    const { app } = newApp({ ui: { assets: loadUiAssets(join(dir, 'missing')) } });
    const r = await app.inject({ url: '/ui/' });
    expect(r.statusCode).toBe(503);
    expect(r.body).toContain('npm run build');
    await app.close();
  });

  it('is not there at all without the ui option (--no-ui)', async () => {
    const { app } = newApp();
    const r = await app.inject({ url: '/ui/' });
    expect(r.statusCode).toBe(404);
    expect(r.body).toBe('404 page not found\n');
    await app.close();
  });

  it('refuses a directory that is not a UI build (bounded)', () => {
    const big = mkdtempSync(join(tmpdir(), 'cairn-ui-big-'));
    try {
      writeFileSync(join(big, 'index.html'), 'x');
      for (let i = 0; i < MAX_UI_FILES; i++) writeFileSync(join(big, `f${i}.js`), 'x');
      expect(() => loadUiAssets(big)).toThrow(/more than 64 files/);
    } finally {
      rmSync(big, { recursive: true, force: true });
    }
  });
});

describe('/ui/api/cluster', () => {
  it('shows every member: itself from its own status, peers from theirs, a silent peer with the reason', async () => {
    const asked: string[] = [];
    const { app, service } = newApp({
      ui: {
        assets: undefined,
        fetchStatus: async (url) => {
          asked.push(url);
          if (url.includes(':2479')) throw Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
          return peerStatus;
        },
      },
    });
    service.members = [
      ...service.members,
      { id: 7n, name: 'peer-up', peerUrls: ['http://127.0.0.1:2381'], clientUrls: ['http://127.0.0.1:2380'] },
      { id: 8n, name: 'peer-down', peerUrls: ['http://127.0.0.1:2382'], clientUrls: ['http://127.0.0.1:2479'] },
      { id: 9n, name: '', peerUrls: ['http://127.0.0.1:2383'], clientUrls: [], isLearner: true },
    ];
    service.alarms = [{ memberId: 7n, alarm: 'NOSPACE' }];
    const r = await app.inject({ url: '/ui/api/cluster' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    const view = r.json() as ClusterView;
    expect(view.self).toBe(String(MEMBER_ID));
    expect(asked.sort()).toEqual(['http://127.0.0.1:2380', 'http://127.0.0.1:2479']);
    const byName = new Map(view.members.map((m) => [m.name, m]));
    expect(byName.get('fake')).toMatchObject({ self: true, status: { leader: String(MEMBER_ID), raftTerm: '2' } });
    expect(byName.get('peer-up')).toMatchObject({ self: false, status: peerStatus });
    expect(byName.get('peer-down')).toMatchObject({ error: 'ECONNREFUSED' });
    expect(byName.get('peer-down')?.status).toBeUndefined();
    expect(byName.get('')).toMatchObject({ isLearner: true, error: 'not started (no client URL yet)' });
    expect(view.alarms).toEqual([{ memberId: '7', alarm: 'NOSPACE' }]);
    await app.close();
  });

  it('with auth on, answers as the caller: no token is refused as the gateway refuses it, a token goes to the peers', async () => {
    const tokens: Array<string | undefined> = [];
    const service = new FakeService();
    service.members = [...service.members, { id: 7n, name: 'peer', peerUrls: ['http://127.0.0.1:2381'], clientUrls: ['http://127.0.0.1:2380'] }];
    // The member as each caller sees it; the real one (CallerService) refuses an unknown caller so.
    const refusing = new Proxy(service, { get: (t, k) => (k === 'memberList' ? () => Promise.reject(new KvError('UserEmpty')) : Reflect.get(t, k)) });
    const caller = (creds: Credentials): KV & Auth => (creds.token === undefined ? refusing : service) as unknown as KV & Auth;
    const fetchStatus = async (_url: string, token: string | undefined): Promise<MemberStatusView> => (tokens.push(token), peerStatus);
    const app = buildApp({ service, caller, ui: { assets: undefined, fetchStatus } });
    const refused = await app.inject({ url: '/ui/api/cluster' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ code: 3, message: 'etcdserver: user name is empty' });
    expect(tokens).toEqual([]);
    const ok = await app.inject({ url: '/ui/api/cluster', headers: { authorization: 'tok.12' } });
    expect(ok.statusCode).toBe(200);
    expect(tokens).toEqual(['tok.12']);
    await app.close();
  });

  it("fails with etcd's error body when the member cannot answer", async () => {
    const { app, service } = newApp({ ui: { assets: undefined } });
    service.failNext('status', new KvError('Stopped'));
    const r = await app.inject({ url: '/ui/api/cluster' });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ code: 14 });
    await app.close();
  });
});
