/**
 * The KV service: everything a client can ask of a cairn member. The embedded member and the
 * HTTP client both implement it (DESIGN.md), and the HTTP layer only translates JSON to these
 * calls. Failures reject with KvError (src/util/errors.ts) carrying etcd's code and message.
 */
import type {
  MemberAddRequest,
  MemberAddResponse,
  MemberListRequest,
  MemberListResponse,
  MemberPromoteRequest,
  MemberPromoteResponse,
  MemberRemoveRequest,
  MemberRemoveResponse,
  MemberUpdateRequest,
  MemberUpdateResponse,
} from './cluster-types.js';
import type {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeCallOptions,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from './kv-types.js';
import type {
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseLeasesResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
} from './lease-types.js';
import type {
  AlarmRequest,
  AlarmResponse,
  DefragmentResponse,
  HashKVRequest,
  HashKVResponse,
  HashResponse,
  MoveLeaderRequest,
  MoveLeaderResponse,
  Snapshot,
  StatusResponse,
} from './maintenance-types.js';
import type { WatchStream } from './watch-types.js';

export type * from './auth-types.js';
export type * from './cluster-types.js';
export type * from './kv-types.js';
export type * from './lease-types.js';
export type * from './maintenance-types.js';
export type * from './recipe-types.js';
export type * from './watch-types.js';

export interface KV {
  // KV (etcd's KV service)
  /** `opts` is for a server's own transports (the gateway's budget); clients ignore it. */
  range(req: RangeRequest, opts?: RangeCallOptions): Promise<RangeResponse>;
  put(req: PutRequest): Promise<PutResponse>;
  deleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponse>;
  txn(req: TxnRequest): Promise<TxnResponse>;
  compact(req: CompactionRequest): Promise<CompactionResponse>;

  // Lease
  leaseGrant(req: LeaseGrantRequest): Promise<LeaseGrantResponse>;
  leaseRevoke(req: LeaseRevokeRequest): Promise<LeaseRevokeResponse>;
  /** One renewal; an unknown lease answers ttl 0 (not an error), as etcd's stream does. */
  leaseKeepAlive(req: LeaseKeepAliveRequest): Promise<LeaseKeepAliveResponse>;
  leaseTimeToLive(req: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse>;
  leaseLeases(): Promise<LeaseLeasesResponse>;

  // Watch: one stream carries many watches.
  watch(): WatchStream;

  // Cluster
  memberList(req: MemberListRequest): Promise<MemberListResponse>;
  memberAdd(req: MemberAddRequest): Promise<MemberAddResponse>;
  memberRemove(req: MemberRemoveRequest): Promise<MemberRemoveResponse>;
  memberUpdate(req: MemberUpdateRequest): Promise<MemberUpdateResponse>;
  memberPromote(req: MemberPromoteRequest): Promise<MemberPromoteResponse>;

  // Maintenance
  status(): Promise<StatusResponse>;
  hash(): Promise<HashResponse>;
  hashKV(req: HashKVRequest): Promise<HashKVResponse>;
  alarm(req: AlarmRequest): Promise<AlarmResponse>;
  defragment(): Promise<DefragmentResponse>;
  moveLeader(req: MoveLeaderRequest): Promise<MoveLeaderResponse>;
  /** The backend's bytes; the wire adds etcd's trailing SHA-256 chunk. */
  snapshot(): Promise<Snapshot>;
}
