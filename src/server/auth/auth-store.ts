/**
 * The replicated auth state (etcd `auth/store.go`): whether auth is on, the auth revision, users
 * and roles. It lives in the backend's `auth` bucket and changes only by applying committed
 * AuthRequests, each one backend write together with the entry's applied index, so every member
 * holds the same state at the same log position, a restart reloads it, and snapshots carry it
 * (the bucket is part of every backend copy; `reload` runs after a snapshot install).
 *
 * The auth revision starts at 1 and grows by one on every successful change, except enable (a
 * no-op on the revision, as in etcd 3.4.23) and grants that change nothing (etcd-auth-tls §2.3).
 */
import { Packr } from 'msgpackr';
import type { Backend, BackendOp } from '../../storage/backend.js';
import { assertNever } from '../../util/assert.js';
import { bytesEqual, compareBytes, fromUtf8, utf8 } from '../../util/bytes.js';
import { KvError } from '../../util/errors.js';
import type { AuthRequest } from './auth-requests.js';
import { PermissionSet, type StoredPermission } from './permissions.js';

export const ROOT = 'root';

export interface UserRecord {
  readonly name: string;
  /** scrypt hash (password.ts); absent for a no-password user. */
  readonly hash?: string;
  readonly noPassword: boolean;
  /** Sorted. */
  readonly roles: readonly string[];
}

export interface RoleRecord {
  readonly name: string;
  /** Sorted by key, then range end. */
  readonly perms: readonly StoredPermission[];
}

const ENABLED_KEY = utf8('enabled');
const REVISION_KEY = utf8('revision');
const USER_PREFIX = 'user/';
const ROLE_PREFIX = 'role/';
const packr = new Packr({ useRecords: false, moreTypes: false });

function encodeRevision(rev: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(rev));
  return out;
}

function comparePerm(a: StoredPermission, b: StoredPermission): number {
  return compareBytes(a.key, b.key) || compareBytes(a.rangeEnd, b.rangeEnd);
}

/** Invoked after a change that must end tokens: one user's (`name`) or everyone's (undefined). */
export type TokenRevoker = (name: string | undefined) => void;

export class AuthStore {
  private enabledFlag = false;
  private revisionValue = 1;
  private readonly users = new Map<string, UserRecord>();
  private readonly roles = new Map<string, RoleRecord>();
  /** Per-user permission sets, valid for one revision (rebuilt lazily after any change). */
  private cache = new Map<string, PermissionSet>();
  onRevoke: TokenRevoker = () => undefined;

  static async load(backend: Backend): Promise<AuthStore> {
    const store = new AuthStore();
    await store.reload(backend);
    return store;
  }

  /** Replaces the state with the backend's (start, snapshot install) before anything is applied. */
  async reload(backend: Backend): Promise<void> {
    this.enabledFlag = false;
    this.revisionValue = 1;
    this.users.clear();
    this.roles.clear();
    this.cache = new Map();
    for await (const [key, value] of backend.iterate('auth')) {
      const name = fromUtf8(key);
      if (bytesEqual(key, ENABLED_KEY)) this.enabledFlag = value[0] === 1;
      else if (bytesEqual(key, REVISION_KEY)) this.revisionValue = Number(new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0));
      else if (name.startsWith(USER_PREFIX)) this.users.set(name.slice(USER_PREFIX.length), packr.unpack(value) as UserRecord);
      else if (name.startsWith(ROLE_PREFIX)) this.roles.set(name.slice(ROLE_PREFIX.length), decodeRole(packr.unpack(value)));
      else throw new KvError('StorageCorrupt', `cairn: unknown auth record ${JSON.stringify(name)}`);
    }
    this.onRevoke(undefined);
  }

  get enabled(): boolean {
    return this.enabledFlag;
  }

  get revision(): number {
    return this.revisionValue;
  }

  user(name: string): UserRecord | undefined {
    return this.users.get(name);
  }

  role(name: string): RoleRecord | undefined {
    return this.roles.get(name);
  }

  userNames(): string[] {
    return [...this.users.keys()].sort(byBytes);
  }

  roleNames(): string[] {
    return [...this.roles.keys()].sort(byBytes);
  }

  isRoot(name: string): boolean {
    return this.users.get(name)?.roles.includes(ROOT) ?? false;
  }

  /** The user's merged permissions, or undefined for an unknown user. */
  permissions(name: string): PermissionSet | undefined {
    const user = this.users.get(name);
    if (user === undefined) return undefined;
    let set = this.cache.get(name);
    if (set === undefined) {
      set = new PermissionSet(user.roles.flatMap((r) => this.roles.get(r)?.perms ?? []));
      this.cache.set(name, set);
    }
    return set;
  }

  /**
   * Applies one committed request: the backend ops to write with the entry's applied index, and
   * the result. Throws a KvError (nothing changed) for a refused request. Deterministic: it reads
   * only replicated state.
   */
  apply(req: AuthRequest): { ops: BackendOp[]; result?: unknown } {
    switch (req.type) {
      case 'enable':
        return this.enable();
      case 'disable':
        if (!this.enabledFlag) return { ops: [] };
        this.enabledFlag = false;
        this.onRevoke(undefined);
        return { ops: [this.enabledOp(), ...this.bump()] };
      case 'userAdd': {
        if (req.name.length === 0) throw new KvError('UserEmpty');
        if (this.users.has(req.name)) throw new KvError('UserAlreadyExist');
        const user: UserRecord = { name: req.name, ...(req.hash !== undefined && !req.noPassword ? { hash: req.hash } : {}), noPassword: req.noPassword, roles: [] };
        return { ops: [this.putUser(user), ...this.bump()] };
      }
      case 'userDelete': {
        if (this.enabledFlag && req.name === ROOT) throw new KvError('InvalidAuthMgmt');
        this.mustUser(req.name);
        this.users.delete(req.name);
        this.onRevoke(req.name);
        return { ops: [{ type: 'del', bucket: 'auth', key: utf8(USER_PREFIX + req.name) }, ...this.bump()] };
      }
      case 'userChangePassword': {
        const user = this.mustUser(req.name);
        // etcd 3.4.23: a no-password user stays password-less (the call still succeeds).
        const changed: UserRecord = user.noPassword ? user : { ...user, hash: req.hash };
        this.onRevoke(req.name);
        return { ops: [this.putUser(changed), ...this.bump()] };
      }
      case 'userGrantRole': {
        const user = this.mustUser(req.user);
        // `root` may be granted before the role exists (etcd-auth-tls §1).
        if (req.role !== ROOT && !this.roles.has(req.role)) throw new KvError('RoleNotFound');
        if (user.roles.includes(req.role)) return { ops: [] };
        return { ops: [this.putUser({ ...user, roles: [...user.roles, req.role].sort(byBytes) }), ...this.bump()] };
      }
      case 'userRevokeRole': {
        if (this.enabledFlag && req.name === ROOT && req.role === ROOT) throw new KvError('InvalidAuthMgmt');
        const user = this.mustUser(req.name);
        if (!user.roles.includes(req.role)) throw new KvError('RoleNotGranted');
        return { ops: [this.putUser({ ...user, roles: user.roles.filter((r) => r !== req.role) }), ...this.bump()] };
      }
      case 'roleAdd':
        if (req.name.length === 0) throw new KvError('RoleEmpty');
        if (this.roles.has(req.name)) throw new KvError('RoleAlreadyExist');
        return { ops: [this.putRole({ name: req.name, perms: [] }), ...this.bump()] };
      case 'roleDelete':
        return this.roleDelete(req.role);
      case 'roleGrantPermission':
        return this.grantPermission(req.name, req.perm);
      case 'roleRevokePermission': {
        const role = this.mustRole(req.role);
        const perms = role.perms.filter((p) => !(bytesEqual(p.key, req.key) && bytesEqual(p.rangeEnd, req.rangeEnd)));
        if (perms.length === role.perms.length) throw new KvError('PermissionNotGranted');
        return { ops: [this.putRole({ name: role.name, perms }), ...this.bump()] };
      }
      case 'authenticate':
        // The password was checked at `revision`; any change since (a new password, a deleted
        // user) makes the proposer check again (etcd loops the same way).
        if (!this.enabledFlag) throw new KvError('AuthNotEnabled');
        if (req.revision !== this.revisionValue || !this.users.has(req.name)) throw new KvError('AuthOldRevision');
        return { ops: [] };
      default:
        return assertNever(req, 'auth request');
    }
  }

  private enable(): { ops: BackendOp[] } {
    if (this.enabledFlag) return { ops: [] };
    const root = this.users.get(ROOT);
    if (root === undefined) throw new KvError('RootUserNotExist');
    if (!root.roles.includes(ROOT)) throw new KvError('RootRoleNotExist');
    this.enabledFlag = true;
    // Tokens issued before are void: a later disable/enable must not revive them.
    this.onRevoke(undefined);
    return { ops: [this.enabledOp()] };
  }

  private roleDelete(name: string): { ops: BackendOp[] } {
    if (this.enabledFlag && name === ROOT) throw new KvError('InvalidAuthMgmt');
    this.mustRole(name);
    this.roles.delete(name);
    const ops: BackendOp[] = [{ type: 'del', bucket: 'auth', key: utf8(ROLE_PREFIX + name) }];
    for (const user of this.users.values()) {
      if (user.roles.includes(name)) ops.push(this.putUser({ ...user, roles: user.roles.filter((r) => r !== name) }));
    }
    return { ops: [...ops, ...this.bump()] };
  }

  private grantPermission(name: string, perm: StoredPermission): { ops: BackendOp[] } {
    const role = this.mustRole(name);
    checkPermissionShape(perm.key, perm.rangeEnd);
    // Same (key, range end): the type is replaced; otherwise appended and re-sorted (etcd).
    const kept = role.perms.filter((p) => comparePerm(p, perm) !== 0);
    const perms = [...kept, { type: perm.type, key: Uint8Array.from(perm.key), rangeEnd: Uint8Array.from(perm.rangeEnd) }].sort(comparePerm);
    return { ops: [this.putRole({ name, perms }), ...this.bump()] };
  }

  private mustUser(name: string): UserRecord {
    const user = this.users.get(name);
    if (user === undefined) throw new KvError('UserNotFound');
    return user;
  }

  private mustRole(name: string): RoleRecord {
    const role = this.roles.get(name);
    if (role === undefined) throw new KvError('RoleNotFound');
    return role;
  }

  private putUser(user: UserRecord): BackendOp {
    this.users.set(user.name, user);
    return { type: 'put', bucket: 'auth', key: utf8(USER_PREFIX + user.name), value: packr.pack(user) };
  }

  private putRole(role: RoleRecord): BackendOp {
    this.roles.set(role.name, role);
    return { type: 'put', bucket: 'auth', key: utf8(ROLE_PREFIX + role.name), value: packr.pack({ name: role.name, perms: role.perms.map((p) => ({ ...p })) }) };
  }

  private enabledOp(): BackendOp {
    return { type: 'put', bucket: 'auth', key: ENABLED_KEY, value: new Uint8Array([this.enabledFlag ? 1 : 0]) };
  }

  private bump(): BackendOp[] {
    this.revisionValue += 1;
    this.cache = new Map();
    return [{ type: 'put', bucket: 'auth', key: REVISION_KEY, value: encodeRevision(this.revisionValue) }];
  }
}

/** etcd 3.4.25+/3.5.8+: an empty key, or an end not after the key (except `\0`), is refused. */
export function checkPermissionShape(key: Uint8Array, rangeEnd: Uint8Array): void {
  if (key.length === 0) throw new KvError('InvalidAuthMgmt');
  const openEnd = rangeEnd.length === 1 && rangeEnd[0] === 0;
  if (rangeEnd.length > 0 && !openEnd && compareBytes(rangeEnd, key) <= 0) throw new KvError('InvalidAuthMgmt');
}

function byBytes(a: string, b: string): number {
  return compareBytes(utf8(a), utf8(b));
}

function decodeRole(raw: unknown): RoleRecord {
  const r = raw as { name: string; perms: { type: 0 | 1 | 2; key: Uint8Array; rangeEnd: Uint8Array }[] };
  return { name: r.name, perms: r.perms.map((p) => ({ type: p.type, key: new Uint8Array(p.key), rangeEnd: new Uint8Array(p.rangeEnd) })) };
}
