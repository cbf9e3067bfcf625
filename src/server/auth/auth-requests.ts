/**
 * Auth changes as they travel through raft (etcd's InternalRaftRequest auth fields). Passwords
 * never do: UserAdd and ChangePassword carry the scrypt hash the proposing member computed.
 */
import type { PermType } from './permissions.js';

export type AuthRequest =
  | { readonly type: 'enable' }
  | { readonly type: 'disable' }
  /** `hash` is absent for a user created with no_password. */
  | { readonly type: 'userAdd'; readonly name: string; readonly hash?: string; readonly noPassword: boolean }
  | { readonly type: 'userDelete'; readonly name: string }
  | { readonly type: 'userChangePassword'; readonly name: string; readonly hash: string }
  | { readonly type: 'userGrantRole'; readonly user: string; readonly role: string }
  | { readonly type: 'userRevokeRole'; readonly name: string; readonly role: string }
  | { readonly type: 'roleAdd'; readonly name: string }
  | { readonly type: 'roleDelete'; readonly role: string }
  | { readonly type: 'roleGrantPermission'; readonly name: string; readonly perm: { readonly type: PermType; readonly key: Uint8Array; readonly rangeEnd: Uint8Array } }
  | { readonly type: 'roleRevokePermission'; readonly role: string; readonly key: Uint8Array; readonly rangeEnd: Uint8Array }
  /**
   * A password login (simple tokens): every member records `<prefix>.<entry index>` for `name`
   * when it applies this entry, so any member can resolve the token (etcd's Authenticate entry).
   */
  | { readonly type: 'authenticate'; readonly name: string; readonly prefix: string; readonly revision: number };

/** Who proposed a write and at which auth revision its permissions were checked. */
export interface AuthStamp {
  readonly user: string;
  readonly revision: number;
  /** Checked while auth was off: refused if auth is on by the time it applies. */
  readonly open?: boolean;
}
