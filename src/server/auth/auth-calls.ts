/**
 * etcd's Auth service for one caller (etcd `v3rpc/auth.go` + `auth/store.go`): who may call what
 * (root for management; a user may read their own record and the roles they hold), request
 * checks done before anything is proposed, then the change through raft.
 */
import type * as api from '../../api/kv.js';
import { KvError } from '../../util/errors.js';
import type { MemberService } from '../service.js';
import type { AuthRequest } from './auth-requests.js';
import { checkPermissionShape } from './auth-store.js';
import type { Authority, Caller } from './authority.js';
import { READ, READWRITE, WRITE, type PermType } from './permissions.js';

const PERM_TYPES: Record<api.PermissionType, PermType> = { READ, WRITE, READWRITE };
const PERM_NAMES: readonly api.PermissionType[] = ['READ', 'WRITE', 'READWRITE'];

export class AuthCalls implements api.Auth {
  constructor(
    protected readonly inner: MemberService,
    protected readonly authority: Authority,
    protected readonly creds: api.Credentials,
  ) {}

  protected who(): Promise<Caller | undefined> {
    return this.authority.identify(this.creds);
  }

  private async admin(): Promise<void> {
    this.authority.requireAdmin(await this.who());
  }

  private async change(request: AuthRequest): Promise<api.AuthHeaderResponse> {
    await this.inner.member.propose({ op: 'auth', request });
    return { header: this.inner.currentHeader() };
  }

  async authEnable(): Promise<api.AuthHeaderResponse> {
    // Already on: a no-op for root, refused for anyone else (etcd 3.4.23).
    if (this.authority.enabled) {
      await this.admin();
      return { header: this.inner.currentHeader() };
    }
    return this.change({ type: 'enable' });
  }

  async authDisable(): Promise<api.AuthHeaderResponse> {
    await this.admin();
    return this.change({ type: 'disable' });
  }

  async authStatus(): Promise<api.AuthStatusResponse> {
    await this.admin();
    const { store } = this.authority;
    return { header: this.inner.currentHeader(), ...(store.enabled ? { enabled: true } : {}), authRevision: store.revision };
  }

  async authenticate(req: api.AuthenticateRequest): Promise<api.AuthenticateResponse> {
    const token = await this.authority.authenticate(req.name, req.password ?? '');
    return { header: this.inner.currentHeader(), token };
  }

  async userAdd(req: api.AuthUserAddRequest): Promise<api.AuthHeaderResponse> {
    await this.admin();
    if (req.name.length === 0) throw new KvError('UserEmpty');
    if (this.authority.store.user(req.name) !== undefined) throw new KvError('UserAlreadyExist');
    const noPassword = req.options?.noPassword === true;
    // etcd allows an empty password (that user then logs in with ""); a sent hash is ignored.
    const hash = noPassword ? undefined : await this.authority.hash(req.password ?? '');
    return this.change({ type: 'userAdd', name: req.name, ...(hash === undefined ? {} : { hash }), noPassword });
  }

  async userGet(req: api.AuthUserGetRequest): Promise<api.AuthUserGetResponse> {
    const caller = await this.who();
    if (!this.authority.isAdmin(caller)) {
      this.authority.requireUser(caller);
      if (caller?.user !== req.name) throw new KvError('PermissionDenied');
    }
    const user = this.authority.store.user(req.name);
    if (user === undefined) throw new KvError('UserNotFound');
    return { header: this.inner.currentHeader(), ...(user.roles.length > 0 ? { roles: user.roles } : {}) };
  }

  async userList(): Promise<api.AuthUserListResponse> {
    await this.admin();
    return { header: this.inner.currentHeader(), users: this.authority.store.userNames() };
  }

  async userDelete(req: api.AuthUserDeleteRequest): Promise<api.AuthHeaderResponse> {
    await this.admin();
    return this.change({ type: 'userDelete', name: req.name });
  }

  async userChangePassword(req: api.AuthUserChangePasswordRequest): Promise<api.AuthHeaderResponse> {
    await this.admin();
    if (this.authority.store.user(req.name) === undefined) throw new KvError('UserNotFound');
    return this.change({ type: 'userChangePassword', name: req.name, hash: await this.authority.hash(req.password ?? '') });
  }

  async userGrantRole(req: api.AuthUserGrantRoleRequest): Promise<api.AuthHeaderResponse> {
    await this.admin();
    return this.change({ type: 'userGrantRole', user: req.user, role: req.role });
  }

  async userRevokeRole(req: api.AuthUserRevokeRoleRequest): Promise<api.AuthHeaderResponse> {
    await this.admin();
    return this.change({ type: 'userRevokeRole', name: req.name, role: req.role });
  }

  async roleAdd(req: api.AuthRoleAddRequest): Promise<api.AuthHeaderResponse> {
    await this.admin();
    return this.change({ type: 'roleAdd', name: req.name });
  }

  async roleGet(req: api.AuthRoleGetRequest): Promise<api.AuthRoleGetResponse> {
    const caller = await this.who();
    if (!this.authority.isAdmin(caller)) {
      this.authority.requireUser(caller);
      const held = this.authority.store.user(caller?.user ?? '')?.roles ?? [];
      if (!held.includes(req.role)) throw new KvError('PermissionDenied');
    }
    const role = this.authority.store.role(req.role);
    if (role === undefined) throw new KvError('RoleNotFound');
    const perm = role.perms.map((p) => ({ permType: PERM_NAMES[p.type] as api.PermissionType, key: p.key, ...(p.rangeEnd.length > 0 ? { rangeEnd: p.rangeEnd } : {}) }));
    return { header: this.inner.currentHeader(), ...(perm.length > 0 ? { perm } : {}) };
  }

  async roleList(): Promise<api.AuthRoleListResponse> {
    await this.admin();
    return { header: this.inner.currentHeader(), roles: this.authority.store.roleNames() };
  }

  async roleDelete(req: api.AuthRoleDeleteRequest): Promise<api.AuthHeaderResponse> {
    await this.admin();
    return this.change({ type: 'roleDelete', role: req.role });
  }

  async roleGrantPermission(req: api.AuthRoleGrantPermissionRequest): Promise<api.AuthHeaderResponse> {
    await this.admin();
    // etcd 3.4.23 panics in apply on a missing perm (a poison entry): refuse it here (3.5's text).
    if (req.perm === undefined) throw new KvError('PermissionNotGiven');
    const key = req.perm.key;
    const rangeEnd = req.perm.rangeEnd ?? new Uint8Array();
    checkPermissionShape(key, rangeEnd);
    return this.change({ type: 'roleGrantPermission', name: req.name, perm: { type: PERM_TYPES[req.perm.permType ?? 'READ'], key, rangeEnd } });
  }

  async roleRevokePermission(req: api.AuthRoleRevokePermissionRequest): Promise<api.AuthHeaderResponse> {
    await this.admin();
    return this.change({ type: 'roleRevokePermission', role: req.role, key: req.key ?? new Uint8Array(), rangeEnd: req.rangeEnd ?? new Uint8Array() });
  }
}
