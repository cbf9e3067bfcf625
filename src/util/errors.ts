/**
 * Errors with stable codes and etcd's exact messages (docs/http-api.md, errors).
 * Code branches on `err.code`, never on the text. One table maps every code to the gRPC code
 * and HTTP status etcd's gateway would answer with.
 */

/** gRPC status codes, as the gateway reports them in `{"code": n}`. */
export const GrpcCode = {
  OK: 0,
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

/** grpc-gateway's HTTPStatusFromCode, with 400 for FailedPrecondition as release binaries do. */
export function httpStatusFromGrpc(code: GrpcCode): number {
  switch (code) {
    case 0: return 200;
    case 1: return 408;
    case 2: return 500;
    case 3: return 400;
    case 4: return 504;
    case 5: return 404;
    case 6: return 409;
    case 7: return 403;
    case 8: return 429;
    case 9: return 400;
    case 10: return 409;
    case 11: return 400;
    case 12: return 501;
    case 13: return 500;
    case 14: return 503;
    case 15: return 500;
    case 16: return 401;
  }
}

const G = GrpcCode;

/** Every error cairn raises on purpose: code → [gRPC code, message]. */
export const ERRORS = {
  // KV & MVCC
  EmptyKey: [G.InvalidArgument, 'etcdserver: key is not provided'],
  KeyNotFound: [G.InvalidArgument, 'etcdserver: key not found'],
  ValueProvided: [G.InvalidArgument, 'etcdserver: value is provided'],
  LeaseProvided: [G.InvalidArgument, 'etcdserver: lease is provided'],
  TooManyOps: [G.InvalidArgument, 'etcdserver: too many operations in txn request'],
  DuplicateKey: [G.InvalidArgument, 'etcdserver: duplicate key given in txn request'],
  Compacted: [G.OutOfRange, 'etcdserver: mvcc: required revision has been compacted'],
  FutureRev: [G.OutOfRange, 'etcdserver: mvcc: required revision is a future revision'],
  NoSpace: [G.ResourceExhausted, 'etcdserver: mvcc: database space exceeded'],
  RequestTooLarge: [G.InvalidArgument, 'etcdserver: request is too large'],
  TooManyRequests: [G.ResourceExhausted, 'etcdserver: too many requests'],
  /** gRPC's receive limit (max-request-bytes + 512 KiB); the detail says `(N vs. M)`. */
  GrpcMessageTooLarge: [G.ResourceExhausted, 'grpc: received message larger than max'],
  /** gRPC's send limit, here --max-response-bytes (a range response); the detail says `(N vs. M)`. */
  ResponseTooLarge: [G.ResourceExhausted, 'grpc: trying to send message larger than max'],
  // Lease
  LeaseNotFound: [G.NotFound, 'etcdserver: requested lease not found'],
  LeaseExists: [G.FailedPrecondition, 'etcdserver: lease already exists'],
  LeaseTTLTooLarge: [G.OutOfRange, 'etcdserver: too large lease TTL'],
  // Watch
  WatchCanceled: [G.Canceled, 'etcdserver: watch canceled'],
  // Cluster
  MemberExists: [G.FailedPrecondition, 'etcdserver: member ID already exist'],
  PeerURLExists: [G.FailedPrecondition, 'etcdserver: Peer URLs already exists'],
  NotEnoughStartedMembers: [G.FailedPrecondition, 'etcdserver: re-configuration failed due to not enough started members'],
  InvalidPeerURLs: [G.InvalidArgument, 'etcdserver: given member URLs are invalid'],
  MemberNotFound: [G.NotFound, 'etcdserver: member not found'],
  MemberNotLearner: [G.FailedPrecondition, 'etcdserver: can only promote a learner member'],
  LearnerNotReady: [G.FailedPrecondition, 'etcdserver: can only promote a learner member which is in sync with leader'],
  TooManyLearners: [G.FailedPrecondition, 'etcdserver: too many learner members in cluster'],
  NotSupportedForLearner: [G.Unavailable, 'etcdserver: rpc not supported for learner'],
  ClusterIdMismatch: [G.FailedPrecondition, 'etcdserver: cluster ID mismatch'],
  // Auth (etcd's rpctypes; docs/security.md)
  AuthNotEnabled: [G.FailedPrecondition, 'etcdserver: authentication is not enabled'],
  AuthFailed: [G.InvalidArgument, 'etcdserver: authentication failed, invalid user ID or password'],
  /** Authenticate as a user created with no_password: etcd leaves this one unmapped (code 2). */
  AuthNoPasswordUser: [G.Unknown, 'auth: authentication failed, password was given for no password user'],
  InvalidAuthToken: [G.Unauthenticated, 'etcdserver: invalid auth token'],
  AuthOldRevision: [G.InvalidArgument, 'etcdserver: revision of auth store is old'],
  InvalidAuthMgmt: [G.InvalidArgument, 'etcdserver: invalid auth management'],
  PermissionDenied: [G.PermissionDenied, 'etcdserver: permission denied'],
  /** Maintenance calls (hash, defragment, snapshot) report auth failures unmapped, as etcd does. */
  PermissionDeniedRaw: [G.Unknown, 'auth: permission denied'],
  UserEmpty: [G.InvalidArgument, 'etcdserver: user name is empty'],
  UserEmptyRaw: [G.Unknown, 'auth: user name is empty'],
  UserAlreadyExist: [G.FailedPrecondition, 'etcdserver: user name already exists'],
  UserNotFound: [G.FailedPrecondition, 'etcdserver: user name not found'],
  RoleEmpty: [G.InvalidArgument, 'etcdserver: role name is empty'],
  RoleAlreadyExist: [G.FailedPrecondition, 'etcdserver: role name already exists'],
  RoleNotFound: [G.FailedPrecondition, 'etcdserver: role name not found'],
  RoleNotGranted: [G.FailedPrecondition, 'etcdserver: role is not granted to the user'],
  PermissionNotGiven: [G.InvalidArgument, 'etcdserver: permission not given'],
  PermissionNotGranted: [G.FailedPrecondition, 'etcdserver: permission is not granted to the role'],
  RootUserNotExist: [G.FailedPrecondition, 'etcdserver: root user does not exist'],
  RootRoleNotExist: [G.FailedPrecondition, 'etcdserver: root user does not have root role'],
  // Availability
  NoLeader: [G.Unavailable, 'etcdserver: no leader'],
  NotLeader: [G.FailedPrecondition, 'etcdserver: not leader'],
  LeaderChanged: [G.Unavailable, 'etcdserver: leader changed'],
  NotCapable: [G.Unavailable, 'etcdserver: not capable'],
  Stopped: [G.Unavailable, 'etcdserver: server stopped'],
  Timeout: [G.Unavailable, 'etcdserver: request timed out'],
  TimeoutDueToLeaderFail: [G.Unavailable, 'etcdserver: request timed out, possibly due to previous leader failure'],
  TimeoutDueToConnectionLost: [G.Unavailable, 'etcdserver: request timed out, possibly due to connection lost'],
  TimeoutWaitAppliedIndex: [G.Unavailable, 'etcdserver: request timed out, waiting for the applied index took too long'],
  UnhealthyCluster: [G.Unavailable, 'etcdserver: unhealthy cluster'],
  Corrupt: [G.DataLoss, 'etcdserver: corrupt cluster'],
  BadLeaderTransferee: [G.FailedPrecondition, 'etcdserver: bad leader transferee'],
  Canceled: [G.Canceled, 'etcdserver: request canceled'],
  // Client side: no member answered (gRPC's wording, as etcdctl prints it)
  ConnectionFailed: [G.Unavailable, 'connection error'],
  DeadlineExceeded: [G.DeadlineExceeded, 'context deadline exceeded'],
  // Raft core (surfaced through the server as the errors above where etcd would)
  ProposalDropped: [G.Unavailable, 'raft proposal dropped'],
  // Storage
  StorageCorrupt: [G.DataLoss, 'cairn: storage is corrupt'],
  StorageLocked: [G.FailedPrecondition, 'cairn: data directory is locked by another process'],
  /** The disk refused (ENOSPC, EROFS, EACCES, EIO …); the detail names the errno and the path. */
  StorageFailed: [G.Unavailable, 'cairn: storage failed'],
  Compacted_Log: [G.OutOfRange, 'requested index is unavailable due to compaction'],
  Unavailable_Log: [G.OutOfRange, 'requested entry at index is unavailable'],
  /** A capability cairn does not have yet; the detail says which. */
  Unimplemented: [G.Unimplemented, 'cairn: not implemented'],
  // Request decoding
  InvalidArgument: [G.InvalidArgument, 'invalid argument'],
  /** A failure that is not one of etcd's (gRPC Unknown, HTTP 500); the detail is its text. */
  Unknown: [G.Unknown, 'unknown error'],
} as const satisfies Record<string, readonly [GrpcCode, string]>;

export type ErrorCode = keyof typeof ERRORS;

export class KvError extends Error {
  override readonly name = 'KvError';
  readonly grpcCode: GrpcCode;

  /** `detail`, when given, replaces the table's message (e.g. a decoder's text, a path). */
  constructor(readonly code: ErrorCode, detail?: string) {
    const [grpcCode, message] = ERRORS[code];
    super(detail ?? message);
    this.grpcCode = grpcCode;
  }

  get httpStatus(): number {
    return httpStatusFromGrpc(this.grpcCode);
  }
}

export function isKvError(err: unknown, code?: ErrorCode): err is KvError {
  return err instanceof KvError && (code === undefined || err.code === code);
}
