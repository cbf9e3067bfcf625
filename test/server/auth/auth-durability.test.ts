/** Auth state is replicated state: it survives a restart, travels in snapshots, and guards apply. */
import { afterEach, describe, expect, it } from 'vitest';
import { isKvError } from '../../../src/util/errors.js';
import { utf8 } from '../../../src/util/bytes.js';
import { eventually, startCluster, type TestCluster } from '../cluster-harness.js';
import { authApp, b64, brief, call, fixture } from './auth-harness.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

const authState = (m: { auth: { store: { enabled: boolean; revision: number; userNames(): string[]; roleNames(): string[]; role(n: string): unknown; user(n: string): unknown } } }) => ({
  enabled: m.auth.store.enabled,
  revision: m.auth.store.revision,
  users: m.auth.store.userNames().map((n) => m.auth.store.user(n)),
  roles: m.auth.store.roleNames().map((n) => m.auth.store.role(n)),
});

describe('auth state through consensus', () => {
  it('survives a restart; simple tokens do not (they live in memory, as etcd\'s)', async () => {
    cluster = await startCluster(1, { bcryptCost: 4 });
    const before = await cluster.leader();
    const t = await fixture(authApp(before));
    const state = authState(before);
    await cluster.stop('m1');
    const after = await cluster.start('m1');
    await cluster.leader();
    expect(authState(after)).toEqual(state);
    expect(await after.metrics.render()).toContain(`etcd_debugging_auth_revision ${state.revision}`);
    const app = authApp(after);
    expect(brief(await call(app, '/v3/kv/range', { key: b64('foo') }, t.alice))).toEqual([401, 'etcdserver: invalid auth token']);
    const alice = (await call(app, '/v3/auth/authenticate', { name: 'alice', password: 'alicepw' })).body['token'] as string;
    expect(brief(await call(app, '/v3/kv/range', { key: b64('foo') }, alice))).toEqual([200, undefined]);
    expect(brief(await call(app, '/v3/kv/range', { key: b64('b') }, alice))).toEqual([403, 'etcdserver: permission denied']);
  });

  it('reaches a follower that catches up by snapshot, and its tokens resolve on every member', async () => {
    cluster = await startCluster(3, { bcryptCost: 4, snapshotCount: 20, snapshotCatchUpEntries: 5 });
    const leader = await cluster.leader();
    const laggard = cluster.names.find((n) => cluster?.members.get(n) !== leader) as string;
    cluster.network.isolate(cluster.members.get(laggard)!.id);
    const t = await fixture(authApp(leader));
    for (let i = 0; i < 40; i++) await leader.put({ key: utf8(`s${i}`), value: utf8('v') });
    cluster.network.heal();
    const follower = cluster.members.get(laggard)!;
    await eventually(() => expect(authState(follower)).toEqual(authState(leader)), 10_000);
    expect(await follower.metrics.render()).toMatch(/etcd_network_snapshot_receive_success\{From="[0-9a-f]+"\} 1/);
    // A token issued after the install is applied there too, so the follower resolves it.
    const alice = (await call(authApp(leader), '/v3/auth/authenticate', { name: 'alice', password: 'alicepw' })).body['token'] as string;
    const app = authApp(follower);
    expect(brief(await call(app, '/v3/kv/range', { key: b64('a/'), range_end: b64('a5') }, alice))).toEqual([200, undefined]);
    expect(brief(await call(app, '/v3/kv/range', { key: b64('b') }, alice))).toEqual([403, 'etcdserver: permission denied']);
    expect(t.root).toMatch(/\.\d+$/);
  });

  it('apply refuses a write checked at an older auth revision (the check-then-commit race)', async () => {
    cluster = await startCluster(1, { bcryptCost: 4 });
    const member = await cluster.leader();
    await fixture(authApp(member));
    const stale = { user: 'alice', revision: member.auth.store.revision - 1 };
    await expect(member.put({ key: utf8('a/x'), value: utf8('v') }, stale)).rejects.toSatisfy((e: unknown) => isKvError(e, 'AuthOldRevision'));
    await expect(member.put({ key: utf8('a/x'), value: utf8('v') }, { ...stale, revision: member.auth.store.revision })).resolves.toBeDefined();
    // Checked while auth was off, applied once it is on: refused too (enable bumps no revision).
    const open = { user: '', revision: member.auth.store.revision, open: true };
    await expect(member.put({ key: utf8('a/y'), value: utf8('v') }, open)).rejects.toSatisfy((e: unknown) => isKvError(e, 'AuthOldRevision'));
  });
});
