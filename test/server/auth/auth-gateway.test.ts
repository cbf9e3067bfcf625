import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../cluster-harness.js';
import { authApp, b64, brief, call, fixture } from './auth-harness.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

describe('/v3/auth/* on the gateway (etcd-auth-tls §1.1)', () => {
  it('answers the captured 3.4.23 exchanges with etcd JSON, errors and statuses', async () => {
    cluster = await startCluster(1, { bcryptCost: 4 });
    const app = authApp(await cluster.leader());
    expect(brief(await call(app, '/v3/auth/enable'))).toEqual([400, 'etcdserver: root user does not exist']);
    expect(brief(await call(app, '/v3/auth/user/add', { name: 'root', password: 'rootpw' }))).toEqual([200, undefined]);
    expect(brief(await call(app, '/v3/auth/user/add', { name: 'nopw', options: { no_password: true } }))).toEqual([200, undefined]);
    expect(brief(await call(app, '/v3/auth/user/add', { name: 'root', password: 'x' }))).toEqual([400, 'etcdserver: user name already exists']);
    expect(brief(await call(app, '/v3/auth/user/add', { name: '' }))).toEqual([400, 'etcdserver: user name is empty']);
    expect(brief(await call(app, '/v3/auth/enable'))).toEqual([400, 'etcdserver: root user does not have root role']);
    expect(brief(await call(app, '/v3/auth/user/grant', { user: 'root', role: 'root' }))).toEqual([200, undefined]);
    expect((await call(app, '/v3/auth/user/get', { name: 'root' })).body['roles']).toEqual(['root']);
    expect(brief(await call(app, '/v3/auth/role/get', { role: 'root' }))).toEqual([400, 'etcdserver: role name not found']);
    expect((await call(app, '/v3/auth/user/list')).body['users']).toEqual(['nopw', 'root']);
    expect(brief(await call(app, '/v3/auth/role/add', { name: 'r1' }))).toEqual([200, undefined]);
    for (const perm of [
      { permType: 'READWRITE', key: b64('a/'), range_end: b64('a0') },
      { key: b64('foo') },
      { permType: 'WRITE', key: b64('k1'), range_end: b64('k5') },
      { key: b64('z'), range_end: b64('\0') },
    ]) {
      expect(brief(await call(app, '/v3/auth/role/grant', { name: 'r1', perm }))).toEqual([200, undefined]);
    }
    expect((await call(app, '/v3/auth/role/get', { role: 'r1' })).body['perm']).toEqual([
      { permType: 'READWRITE', key: 'YS8=', range_end: 'YTA=' },
      { key: 'Zm9v' },
      { permType: 'WRITE', key: 'azE=', range_end: 'azU=' },
      { key: 'eg==', range_end: 'AA==' },
    ]);
    expect(brief(await call(app, '/v3/auth/role/grant', { name: 'r1' }))).toEqual([400, 'etcdserver: permission not given']);
    expect(brief(await call(app, '/v3/auth/role/grant', { name: 'r1', perm: { key: b64('z'), range_end: b64('a') } }))).toEqual([400, 'etcdserver: invalid auth management']);
    expect(brief(await call(app, '/v3/auth/role/revoke', { role: 'r1', key: b64('foo') }))).toEqual([200, undefined]);
    expect(brief(await call(app, '/v3/auth/role/revoke', { role: 'r1', key: b64('foo') }))).toEqual([400, 'etcdserver: permission is not granted to the role']);
    expect(brief(await call(app, '/v3/auth/user/revoke', { name: 'root', role: 'r1' }))).toEqual([400, 'etcdserver: role is not granted to the user']);
    expect(brief(await call(app, '/v3/auth/authenticate', { name: 'root', password: 'rootpw' }))).toEqual([400, 'etcdserver: authentication is not enabled']);
    expect(brief(await call(app, '/v3/auth/enable'))).toEqual([200, undefined]);

    const ok = await call(app, '/v3/auth/authenticate', { name: 'root', password: 'rootpw' });
    expect(ok.status).toBe(200);
    expect(ok.body['token']).toMatch(/^[a-zA-Z]{16}\.\d+$/);
    expect(brief(await call(app, '/v3/auth/authenticate', { name: 'root', password: 'bad' }))).toEqual([400, 'etcdserver: authentication failed, invalid user ID or password']);
    expect(brief(await call(app, '/v3/auth/authenticate', { name: 'ghost', password: 'x' }))).toEqual([400, 'etcdserver: authentication failed, invalid user ID or password']);
    expect(brief(await call(app, '/v3/auth/authenticate', { name: 'nopw', password: '' }))).toEqual([500, 'auth: authentication failed, password was given for no password user']);
    expect(brief(await call(app, '/v3/auth/user/list'))).toEqual([400, 'etcdserver: user name is empty']);
    const token = ok.body['token'] as string;
    expect((await call(app, '/v3/auth/user/list', {}, token)).body['users']).toEqual(['nopw', 'root']);
    expect((await call(app, '/v3/auth/status', {}, token)).body).toMatchObject({ enabled: true, authRevision: '10' });
    expect(brief(await call(app, '/v3/auth/user/delete', { name: 'root' }, token))).toEqual([400, 'etcdserver: invalid auth management']);
    expect(brief(await call(app, '/v3/auth/enable', {}, token))).toEqual([200, undefined]);
    expect(brief(await call(app, '/v3/auth/disable', {}, token))).toEqual([200, undefined]);
    // Tokens are void after disable and ignored while auth is off (etcd 3.5.10+).
    expect(brief(await call(app, '/v3/kv/put', { key: b64('k'), value: b64('v') }, 'garbage.1'))).toEqual([200, undefined]);
  });

  it('a password change ends older tokens; a role change keeps them but applies at once', async () => {
    cluster = await startCluster(1, { bcryptCost: 4 });
    const app = authApp(await cluster.leader());
    const t = await fixture(app);
    expect(brief(await call(app, '/v3/kv/range', { key: b64('foo') }, t.alice))).toEqual([200, undefined]);
    expect(brief(await call(app, '/v3/auth/user/revoke', { name: 'alice', role: 'r1' }, t.root))).toEqual([200, undefined]);
    expect(brief(await call(app, '/v3/kv/range', { key: b64('foo') }, t.alice))).toEqual([403, 'etcdserver: permission denied']);
    expect(brief(await call(app, '/v3/auth/user/changepw', { name: 'alice', password: 'new' }, t.root))).toEqual([200, undefined]);
    expect(brief(await call(app, '/v3/kv/range', { key: b64('a0') }, t.alice))).toEqual([401, 'etcdserver: invalid auth token']);
    expect(brief(await call(app, '/v3/auth/authenticate', { name: 'alice', password: 'alicepw' }))).toEqual([400, 'etcdserver: authentication failed, invalid user ID or password']);
    const again = (await call(app, '/v3/auth/authenticate', { name: 'alice', password: 'new' })).body['token'] as string;
    expect(brief(await call(app, '/v3/kv/range', { key: b64('a0') }, again))).toEqual([200, undefined]);
    // Bob's token is untouched by alice's password change.
    expect(brief(await call(app, '/v3/kv/range', { key: b64('foo') }, t.bob))).toEqual([200, undefined]);
  });
});
