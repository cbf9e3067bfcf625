/**
 * etcd's Auth service (rpc.proto §Auth, etcd-auth-tls reference §1): users, roles, permissions
 * and tokens. User and role names are strings; permission keys are bytes, with the same range
 * conventions as Range (empty rangeEnd: one key; `[0]`: every key ≥ key).
 */
import type { ResponseHeader } from './kv-types.js';

export type PermissionType = 'READ' | 'WRITE' | 'READWRITE';

export interface Permission {
  /** Absent means READ (enum value 0, which etcd's JSON omits). */
  readonly permType?: PermissionType;
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
}

export type Empty = Record<string, never>;

export interface AuthHeaderResponse {
  readonly header: ResponseHeader;
}

export interface AuthStatusResponse {
  readonly header: ResponseHeader;
  /** Omitted on the wire when false, as etcd's JSON does. */
  readonly enabled?: boolean;
  readonly authRevision: number;
}

export interface AuthenticateRequest {
  readonly name: string;
  readonly password?: string;
}

export interface AuthenticateResponse {
  readonly header: ResponseHeader;
  readonly token: string;
}

export interface UserAddOptions {
  readonly noPassword?: boolean;
}

export interface AuthUserAddRequest {
  readonly name: string;
  readonly password?: string;
  readonly options?: UserAddOptions;
  /** etcd 3.5's field; a client-sent hash is ignored (the server hashes, docs/security.md). */
  readonly hashedPassword?: string;
}

export interface AuthUserGetRequest {
  readonly name: string;
}

export interface AuthUserGetResponse {
  readonly header: ResponseHeader;
  readonly roles?: readonly string[];
}

export interface AuthUserDeleteRequest {
  readonly name: string;
}

export interface AuthUserChangePasswordRequest {
  readonly name: string;
  readonly password?: string;
  readonly hashedPassword?: string;
}

export interface AuthUserGrantRoleRequest {
  readonly user: string;
  readonly role: string;
}

export interface AuthUserRevokeRoleRequest {
  readonly name: string;
  readonly role: string;
}

export interface AuthUserListResponse {
  readonly header: ResponseHeader;
  readonly users?: readonly string[];
}

export interface AuthRoleAddRequest {
  readonly name: string;
}

export interface AuthRoleGetRequest {
  readonly role: string;
}

export interface AuthRoleGetResponse {
  readonly header: ResponseHeader;
  readonly perm?: readonly Permission[];
}

export interface AuthRoleListResponse {
  readonly header: ResponseHeader;
  readonly roles?: readonly string[];
}

export interface AuthRoleDeleteRequest {
  readonly role: string;
}

export interface AuthRoleGrantPermissionRequest {
  readonly name: string;
  readonly perm?: Permission;
}

export interface AuthRoleRevokePermissionRequest {
  readonly role: string;
  readonly key?: Uint8Array;
  readonly rangeEnd?: Uint8Array;
}

/** The Auth service as the member serves it and the client calls it. */
export interface Auth {
  authEnable(req: Empty): Promise<AuthHeaderResponse>;
  authDisable(req: Empty): Promise<AuthHeaderResponse>;
  authStatus(req: Empty): Promise<AuthStatusResponse>;
  authenticate(req: AuthenticateRequest): Promise<AuthenticateResponse>;
  userAdd(req: AuthUserAddRequest): Promise<AuthHeaderResponse>;
  userGet(req: AuthUserGetRequest): Promise<AuthUserGetResponse>;
  userList(req: Empty): Promise<AuthUserListResponse>;
  userDelete(req: AuthUserDeleteRequest): Promise<AuthHeaderResponse>;
  userChangePassword(req: AuthUserChangePasswordRequest): Promise<AuthHeaderResponse>;
  userGrantRole(req: AuthUserGrantRoleRequest): Promise<AuthHeaderResponse>;
  userRevokeRole(req: AuthUserRevokeRoleRequest): Promise<AuthHeaderResponse>;
  roleAdd(req: AuthRoleAddRequest): Promise<AuthHeaderResponse>;
  roleGet(req: AuthRoleGetRequest): Promise<AuthRoleGetResponse>;
  roleList(req: Empty): Promise<AuthRoleListResponse>;
  roleDelete(req: AuthRoleDeleteRequest): Promise<AuthHeaderResponse>;
  roleGrantPermission(req: AuthRoleGrantPermissionRequest): Promise<AuthHeaderResponse>;
  roleRevokePermission(req: AuthRoleRevokePermissionRequest): Promise<AuthHeaderResponse>;
}

/** Who is calling: the token a transport received, and (with --client-cert-auth) the TLS CN. */
export interface Credentials {
  readonly token?: string;
  /**
   * The CN of the caller's verified client certificate (with --client-cert-auth); `''` for a gRPC
   * caller whose certificate has none (etcd makes that the user "" rather than no user at all).
   */
  readonly commonName?: string;
}
