import { describe, expect, it } from 'vitest';
import { AuthStore } from '../../../src/server/auth/auth-store.js';
import type { AuthRequest } from '../../../src/server/auth/auth-requests.js';
import { READ, READWRITE, WRITE } from '../../../src/server/auth/permissions.js';
import { MemoryBackend } from '../../../src/storage/memory-backend.js';
import { utf8 } from '../../../src/util/bytes.js';

const b = utf8;

/** Applies as the member does: the ops in one backend write. */
async function apply(store: AuthStore, backend: MemoryBackend, req: AuthRequest): Promise<void> {
  const { ops } = store.apply(req);
  await backend.write(ops);
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

async function rootReady(): Promise<{ store: AuthStore; backend: MemoryBackend }> {
  const backend = new MemoryBackend();
  const store = await AuthStore.load(backend);
  await apply(store, backend, { type: 'userAdd', name: 'root', hash: 'h', noPassword: false });
  await apply(store, backend, { type: 'userGrantRole', user: 'root', role: 'root' });
  return { store, backend };
}

describe('AuthStore', () => {
  it('enable needs user root holding role root; the role object need not exist', async () => {
    const backend = new MemoryBackend();
    const store = await AuthStore.load(backend);
    expect(code(() => store.apply({ type: 'enable' }))).toBe('RootUserNotExist');
    await apply(store, backend, { type: 'userAdd', name: 'root', hash: 'h', noPassword: false });
    expect(code(() => store.apply({ type: 'enable' }))).toBe('RootRoleNotExist');
    await apply(store, backend, { type: 'userGrantRole', user: 'root', role: 'root' });
    const before = store.revision;
    await apply(store, backend, { type: 'enable' });
    expect(store.enabled).toBe(true);
    expect(store.revision).toBe(before); // enable does not bump (etcd 3.4.23)
  });

  it('bumps the auth revision on every change, not on no-ops or failures', async () => {
    const { store, backend } = await rootReady();
    expect(store.revision).toBe(3); // starts at 1; user add, grant
    await apply(store, backend, { type: 'userGrantRole', user: 'root', role: 'root' }); // already held
    expect(store.revision).toBe(3);
    expect(code(() => store.apply({ type: 'roleAdd', name: '' }))).toBe('RoleEmpty');
    expect(store.revision).toBe(3);
    await apply(store, backend, { type: 'roleAdd', name: 'r' });
    await apply(store, backend, { type: 'roleGrantPermission', name: 'r', perm: { type: READ, key: b('k'), rangeEnd: new Uint8Array() } });
    await apply(store, backend, { type: 'roleGrantPermission', name: 'r', perm: { type: READ, key: b('k'), rangeEnd: new Uint8Array() } });
    expect(store.revision).toBe(6); // a re-grant bumps too
  });

  it('replaces the type of a permission with the same range and keeps them sorted', async () => {
    const { store, backend } = await rootReady();
    await apply(store, backend, { type: 'roleAdd', name: 'r' });
    await apply(store, backend, { type: 'roleGrantPermission', name: 'r', perm: { type: READWRITE, key: b('z'), rangeEnd: new Uint8Array() } });
    await apply(store, backend, { type: 'roleGrantPermission', name: 'r', perm: { type: READ, key: b('a'), rangeEnd: b('b') } });
    await apply(store, backend, { type: 'roleGrantPermission', name: 'r', perm: { type: WRITE, key: b('z'), rangeEnd: new Uint8Array() } });
    expect(store.role('r')?.perms.map((p) => [Buffer.from(p.key).toString(), p.type])).toEqual([['a', READ], ['z', WRITE]]);
    expect(code(() => store.apply({ type: 'roleRevokePermission', role: 'r', key: b('a'), rangeEnd: new Uint8Array() }))).toBe('PermissionNotGranted');
    await apply(store, backend, { type: 'roleRevokePermission', role: 'r', key: b('a'), rangeEnd: b('b') });
    expect(store.role('r')?.perms).toHaveLength(1);
  });

  it('refuses empty and inverted permission ranges (etcd 3.4.25+)', async () => {
    const { store } = await rootReady();
    store.apply({ type: 'roleAdd', name: 'r' });
    expect(code(() => store.apply({ type: 'roleGrantPermission', name: 'r', perm: { type: READ, key: new Uint8Array(), rangeEnd: new Uint8Array() } }))).toBe('InvalidAuthMgmt');
    expect(code(() => store.apply({ type: 'roleGrantPermission', name: 'r', perm: { type: READ, key: b('z'), rangeEnd: b('a') } }))).toBe('InvalidAuthMgmt');
    expect(code(() => store.apply({ type: 'roleGrantPermission', name: 'r', perm: { type: READ, key: b('z'), rangeEnd: new Uint8Array([0]) } }))).toBeUndefined();
  });

  it('protects root while enabled and allows it while disabled', async () => {
    const { store, backend } = await rootReady();
    await apply(store, backend, { type: 'roleAdd', name: 'root' });
    await apply(store, backend, { type: 'enable' });
    expect(code(() => store.apply({ type: 'userDelete', name: 'root' }))).toBe('InvalidAuthMgmt');
    expect(code(() => store.apply({ type: 'roleDelete', role: 'root' }))).toBe('InvalidAuthMgmt');
    expect(code(() => store.apply({ type: 'userRevokeRole', name: 'root', role: 'root' }))).toBe('InvalidAuthMgmt');
    await apply(store, backend, { type: 'disable' });
    await apply(store, backend, { type: 'roleDelete', role: 'root' });
    expect(store.user('root')?.roles).toEqual([]); // stripped from every user
    await apply(store, backend, { type: 'userDelete', name: 'root' });
    expect(code(() => store.apply({ type: 'enable' }))).toBe('RootUserNotExist');
  });

  it('revokes tokens on password change, user delete and disable', async () => {
    const { store, backend } = await rootReady();
    const revoked: (string | undefined)[] = [];
    store.onRevoke = (u) => revoked.push(u);
    await apply(store, backend, { type: 'userAdd', name: 'alice', hash: 'h', noPassword: false });
    await apply(store, backend, { type: 'userChangePassword', name: 'alice', hash: 'h2' });
    await apply(store, backend, { type: 'enable' });
    await apply(store, backend, { type: 'disable' });
    await apply(store, backend, { type: 'userDelete', name: 'alice' });
    expect(revoked).toEqual(['alice', undefined, undefined, 'alice']);
  });

  it('reloads exactly the applied state from the backend (restart, snapshot install)', async () => {
    const { store, backend } = await rootReady();
    await apply(store, backend, { type: 'roleAdd', name: 'r' });
    await apply(store, backend, { type: 'roleGrantPermission', name: 'r', perm: { type: READWRITE, key: b('a/'), rangeEnd: b('a0') } });
    await apply(store, backend, { type: 'userAdd', name: 'alice', noPassword: true });
    await apply(store, backend, { type: 'userGrantRole', user: 'alice', role: 'r' });
    await apply(store, backend, { type: 'enable' });
    const again = await AuthStore.load(backend);
    expect(again.enabled).toBe(true);
    expect(again.revision).toBe(store.revision);
    expect(again.userNames()).toEqual(['alice', 'root']);
    expect(again.user('alice')).toEqual(store.user('alice'));
    expect(again.role('r')).toEqual(store.role('r'));
    expect(again.permissions('alice')?.canWrite(b('a/x'))).toBe(true);
    expect(again.permissions('alice')?.canRead(b('b'))).toBe(false);
  });

  it('a login entry is refused when the auth state moved since the password check', async () => {
    const { store, backend } = await rootReady();
    await apply(store, backend, { type: 'roleAdd', name: 'root' });
    await apply(store, backend, { type: 'enable' });
    expect(code(() => store.apply({ type: 'authenticate', name: 'root', prefix: 'x', revision: store.revision - 1 }))).toBe('AuthOldRevision');
    expect(code(() => store.apply({ type: 'authenticate', name: 'root', prefix: 'x', revision: store.revision }))).toBeUndefined();
  });
});
