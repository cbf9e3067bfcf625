/** Descriptors of etcd's Auth messages (rpc.proto §Auth, authpb/auth.proto). */
import type {
  AuthenticateRequest,
  AuthenticateResponse,
  AuthHeaderResponse,
  AuthRoleAddRequest,
  AuthRoleDeleteRequest,
  AuthRoleGetRequest,
  AuthRoleGetResponse,
  AuthRoleGrantPermissionRequest,
  AuthRoleListResponse,
  AuthRoleRevokePermissionRequest,
  AuthStatusResponse,
  AuthUserAddRequest,
  AuthUserChangePasswordRequest,
  AuthUserDeleteRequest,
  AuthUserGetRequest,
  AuthUserGetResponse,
  AuthUserGrantRoleRequest,
  AuthUserListResponse,
  AuthUserRevokeRoleRequest,
  Permission,
} from '../auth-types.js';
import { enumDesc, field, message } from './descriptor.js';
import { must, ResponseHeaderDesc } from './messages-kv.js';

const header = () => ResponseHeaderDesc;

export const PermissionDesc = message<Permission>('authpb.Permission', [
  field(1, 'permType', enumDesc('authpb.Permission_Type', ['READ', 'WRITE', 'READWRITE'])),
  must(2, 'key', 'bytes'),
  field(3, 'range_end', 'bytes'),
]);

const UserAddOptionsDesc = message('authpb.UserAddOptions', [field(1, 'no_password', 'bool')]);

/** Enable, disable, status, the user and role mutations: a header only. */
export const AuthHeaderResponseDesc = message<AuthHeaderResponse>('etcdserverpb.AuthResponse', [must(1, 'header', header)]);

export const AuthStatusResponseDesc = message<AuthStatusResponse>('etcdserverpb.AuthStatusResponse', [
  must(1, 'header', header),
  field(2, 'enabled', 'bool'),
  must(3, 'authRevision', 'uint64'),
]);

export const AuthenticateRequestDesc = message<AuthenticateRequest>('etcdserverpb.AuthenticateRequest', [
  must(1, 'name', 'string'),
  field(2, 'password', 'string'),
]);

export const AuthenticateResponseDesc = message<AuthenticateResponse>('etcdserverpb.AuthenticateResponse', [
  must(1, 'header', header),
  must(2, 'token', 'string'),
]);

export const AuthUserAddRequestDesc = message<AuthUserAddRequest>('etcdserverpb.AuthUserAddRequest', [
  must(1, 'name', 'string'),
  field(2, 'password', 'string'),
  field(3, 'options', () => UserAddOptionsDesc),
  field(4, 'hashedPassword', 'string'),
]);

export const AuthUserGetRequestDesc = message<AuthUserGetRequest>('etcdserverpb.AuthUserGetRequest', [must(1, 'name', 'string')]);

export const AuthUserGetResponseDesc = message<AuthUserGetResponse>('etcdserverpb.AuthUserGetResponse', [
  must(1, 'header', header),
  field(2, 'roles', 'string', { repeated: true }),
]);

export const AuthUserDeleteRequestDesc = message<AuthUserDeleteRequest>('etcdserverpb.AuthUserDeleteRequest', [must(1, 'name', 'string')]);

export const AuthUserChangePasswordRequestDesc = message<AuthUserChangePasswordRequest>('etcdserverpb.AuthUserChangePasswordRequest', [
  must(1, 'name', 'string'),
  field(2, 'password', 'string'),
  field(3, 'hashedPassword', 'string'),
]);

export const AuthUserGrantRoleRequestDesc = message<AuthUserGrantRoleRequest>('etcdserverpb.AuthUserGrantRoleRequest', [
  must(1, 'user', 'string'),
  must(2, 'role', 'string'),
]);

export const AuthUserRevokeRoleRequestDesc = message<AuthUserRevokeRoleRequest>('etcdserverpb.AuthUserRevokeRoleRequest', [
  must(1, 'name', 'string'),
  must(2, 'role', 'string'),
]);

export const AuthUserListResponseDesc = message<AuthUserListResponse>('etcdserverpb.AuthUserListResponse', [
  must(1, 'header', header),
  field(2, 'users', 'string', { repeated: true }),
]);

export const AuthRoleAddRequestDesc = message<AuthRoleAddRequest>('etcdserverpb.AuthRoleAddRequest', [must(1, 'name', 'string')]);

export const AuthRoleGetRequestDesc = message<AuthRoleGetRequest>('etcdserverpb.AuthRoleGetRequest', [must(1, 'role', 'string')]);

export const AuthRoleGetResponseDesc = message<AuthRoleGetResponse>('etcdserverpb.AuthRoleGetResponse', [
  must(1, 'header', header),
  field(2, 'perm', () => PermissionDesc, { repeated: true }),
]);

export const AuthRoleListResponseDesc = message<AuthRoleListResponse>('etcdserverpb.AuthRoleListResponse', [
  must(1, 'header', header),
  field(2, 'roles', 'string', { repeated: true }),
]);

export const AuthRoleDeleteRequestDesc = message<AuthRoleDeleteRequest>('etcdserverpb.AuthRoleDeleteRequest', [must(1, 'role', 'string')]);

export const AuthRoleGrantPermissionRequestDesc = message<AuthRoleGrantPermissionRequest>('etcdserverpb.AuthRoleGrantPermissionRequest', [
  must(1, 'name', 'string'),
  field(2, 'perm', () => PermissionDesc),
]);

export const AuthRoleRevokePermissionRequestDesc = message<AuthRoleRevokePermissionRequest>('etcdserverpb.AuthRoleRevokePermissionRequest', [
  must(1, 'role', 'string'),
  field(2, 'key', 'bytes'),
  field(3, 'range_end', 'bytes'),
]);
