/**
 * etcd's gateway catalogue (etcd-gateway.md §2): each RPC's path, etcd's alias paths, and the
 * descriptors of its request and response. The HTTP server registers its routes from it and the
 * HTTP client sends through it, so the two cannot disagree on a path or a field.
 */
import type { MessageDesc } from './json/descriptor.js';
import {
  MemberAddRequestDesc,
  MemberAddResponseDesc,
  MemberListRequestDesc,
  MemberListResponseDesc,
  MemberPromoteRequestDesc,
  MemberRemoveRequestDesc,
  MemberRemoveResponseDesc,
  MemberUpdateRequestDesc,
} from './json/messages-cluster.js';
import {
  CompactionRequestDesc,
  CompactionResponseDesc,
  DeleteRangeRequestDesc,
  DeleteRangeResponseDesc,
  PutRequestDesc,
  PutResponseDesc,
  RangeRequestDesc,
  RangeResponseDesc,
  TxnRequestDesc,
  TxnResponseDesc,
} from './json/messages-kv.js';
import {
  LeaseGrantRequestDesc,
  LeaseGrantResponseDesc,
  LeaseKeepAliveRequestDesc,
  LeaseKeepAliveResponseDesc,
  LeaseLeasesRequestDesc,
  LeaseLeasesResponseDesc,
  LeaseRevokeRequestDesc,
  LeaseRevokeResponseDesc,
  LeaseTimeToLiveRequestDesc,
  LeaseTimeToLiveResponseDesc,
} from './json/messages-lease.js';
import {
  AlarmRequestDesc,
  AlarmResponseDesc,
  DefragmentResponseDesc,
  EmptyDesc,
  HashKVRequestDesc,
  HashKVResponseDesc,
  HashResponseDesc,
  MoveLeaderRequestDesc,
  MoveLeaderResponseDesc,
  SnapshotChunkDesc,
  StatusResponseDesc,
} from './json/messages-maintenance.js';
import * as recipes from './json/messages-recipes.js';
import { WatchRequestDesc, WatchResponseDesc } from './json/messages-watch.js';
import * as auth from './json/messages-auth.js';

export interface Rpc<Req, Res> {
  readonly path: string;
  /** Further paths etcd binds to the same RPC. */
  readonly aliases: readonly string[];
  readonly request: MessageDesc<Req>;
  readonly response: MessageDesc<Res>;
}

function rpc<Req, Res>(path: string, request: MessageDesc<Req>, response: MessageDesc<Res>, aliases: readonly string[] = []): Rpc<Req, Res> {
  return { path, aliases, request, response };
}

/** Unary RPCs: one POST, one JSON response. Keyed by the KV method that serves them. */
export const UNARY = {
  range: rpc('/v3/kv/range', RangeRequestDesc, RangeResponseDesc),
  put: rpc('/v3/kv/put', PutRequestDesc, PutResponseDesc),
  deleteRange: rpc('/v3/kv/deleterange', DeleteRangeRequestDesc, DeleteRangeResponseDesc),
  txn: rpc('/v3/kv/txn', TxnRequestDesc, TxnResponseDesc),
  compact: rpc('/v3/kv/compaction', CompactionRequestDesc, CompactionResponseDesc),
  leaseGrant: rpc('/v3/lease/grant', LeaseGrantRequestDesc, LeaseGrantResponseDesc),
  leaseRevoke: rpc('/v3/lease/revoke', LeaseRevokeRequestDesc, LeaseRevokeResponseDesc, ['/v3/kv/lease/revoke']),
  leaseTimeToLive: rpc('/v3/lease/timetolive', LeaseTimeToLiveRequestDesc, LeaseTimeToLiveResponseDesc, ['/v3/kv/lease/timetolive']),
  leaseLeases: rpc('/v3/lease/leases', LeaseLeasesRequestDesc, LeaseLeasesResponseDesc, ['/v3/kv/lease/leases']),
  memberList: rpc('/v3/cluster/member/list', MemberListRequestDesc, MemberListResponseDesc),
  memberAdd: rpc('/v3/cluster/member/add', MemberAddRequestDesc, MemberAddResponseDesc),
  memberRemove: rpc('/v3/cluster/member/remove', MemberRemoveRequestDesc, MemberRemoveResponseDesc),
  memberUpdate: rpc('/v3/cluster/member/update', MemberUpdateRequestDesc, MemberRemoveResponseDesc),
  memberPromote: rpc('/v3/cluster/member/promote', MemberPromoteRequestDesc, MemberRemoveResponseDesc),
  status: rpc('/v3/maintenance/status', EmptyDesc, StatusResponseDesc),
  hash: rpc('/v3/maintenance/hash', EmptyDesc, HashResponseDesc),
  hashKV: rpc('/v3/maintenance/hashkv', HashKVRequestDesc, HashKVResponseDesc),
  alarm: rpc('/v3/maintenance/alarm', AlarmRequestDesc, AlarmResponseDesc),
  defragment: rpc('/v3/maintenance/defragment', EmptyDesc, DefragmentResponseDesc),
  moveLeader: rpc('/v3/maintenance/transfer-leadership', MoveLeaderRequestDesc, MoveLeaderResponseDesc),
} as const;

/**
 * Streaming RPCs: the body is a sequence of JSON requests, the response a sequence of
 * `{"result":…}` lines (etcd-gateway.md §1.5). Snapshot takes one empty request.
 */
export const STREAMING = {
  watch: rpc('/v3/watch', WatchRequestDesc, WatchResponseDesc),
  leaseKeepAlive: rpc('/v3/lease/keepalive', LeaseKeepAliveRequestDesc, LeaseKeepAliveResponseDesc),
  snapshot: rpc('/v3/maintenance/snapshot', EmptyDesc, SnapshotChunkDesc),
} as const;

/** etcd's Auth service (`/v3/auth/*`), keyed by the `Auth` method that serves each path. */
export const AUTH = {
  authEnable: rpc('/v3/auth/enable', EmptyDesc, auth.AuthHeaderResponseDesc),
  authDisable: rpc('/v3/auth/disable', EmptyDesc, auth.AuthHeaderResponseDesc),
  authStatus: rpc('/v3/auth/status', EmptyDesc, auth.AuthStatusResponseDesc),
  authenticate: rpc('/v3/auth/authenticate', auth.AuthenticateRequestDesc, auth.AuthenticateResponseDesc),
  userAdd: rpc('/v3/auth/user/add', auth.AuthUserAddRequestDesc, auth.AuthHeaderResponseDesc),
  userGet: rpc('/v3/auth/user/get', auth.AuthUserGetRequestDesc, auth.AuthUserGetResponseDesc),
  userList: rpc('/v3/auth/user/list', EmptyDesc, auth.AuthUserListResponseDesc),
  userDelete: rpc('/v3/auth/user/delete', auth.AuthUserDeleteRequestDesc, auth.AuthHeaderResponseDesc),
  userChangePassword: rpc('/v3/auth/user/changepw', auth.AuthUserChangePasswordRequestDesc, auth.AuthHeaderResponseDesc),
  userGrantRole: rpc('/v3/auth/user/grant', auth.AuthUserGrantRoleRequestDesc, auth.AuthHeaderResponseDesc),
  userRevokeRole: rpc('/v3/auth/user/revoke', auth.AuthUserRevokeRoleRequestDesc, auth.AuthHeaderResponseDesc),
  roleAdd: rpc('/v3/auth/role/add', auth.AuthRoleAddRequestDesc, auth.AuthHeaderResponseDesc),
  roleGet: rpc('/v3/auth/role/get', auth.AuthRoleGetRequestDesc, auth.AuthRoleGetResponseDesc),
  roleList: rpc('/v3/auth/role/list', EmptyDesc, auth.AuthRoleListResponseDesc),
  roleDelete: rpc('/v3/auth/role/delete', auth.AuthRoleDeleteRequestDesc, auth.AuthHeaderResponseDesc),
  roleGrantPermission: rpc('/v3/auth/role/grant', auth.AuthRoleGrantPermissionRequestDesc, auth.AuthHeaderResponseDesc),
  roleRevokePermission: rpc('/v3/auth/role/revoke', auth.AuthRoleRevokePermissionRequestDesc, auth.AuthHeaderResponseDesc),
} as const;

/**
 * etcd's v3lock and v3election services (`/v3/lock/*`, `/v3/election/*`); Observe is a server
 * stream (`{"result":…}` lines), the others unary.
 */
export const RECIPES = {
  lock: rpc('/v3/lock/lock', recipes.LockRequestDesc, recipes.LockResponseDesc),
  unlock: rpc('/v3/lock/unlock', recipes.UnlockRequestDesc, recipes.headerOnlyDesc('v3lockpb.UnlockResponse')),
  campaign: rpc('/v3/election/campaign', recipes.CampaignRequestDesc, recipes.CampaignResponseDesc),
  proclaim: rpc('/v3/election/proclaim', recipes.ProclaimRequestDesc, recipes.headerOnlyDesc('v3electionpb.ProclaimResponse')),
  leader: rpc('/v3/election/leader', recipes.LeaderRequestDesc, recipes.LeaderResponseDesc),
  resign: rpc('/v3/election/resign', recipes.ResignRequestDesc, recipes.headerOnlyDesc('v3electionpb.ResignResponse')),
  observe: rpc('/v3/election/observe', recipes.LeaderRequestDesc, recipes.LeaderResponseDesc),
} as const;
