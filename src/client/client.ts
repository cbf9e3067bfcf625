/**
 * The cairn HTTP client: the same `KV` interface as an embedded member, over etcd's v3 JSON
 * gateway, with endpoint failover. Works against etcd too.
 */
import type * as api from '../api/kv.js';
import type { MessageDesc } from '../api/json.js';
import { field, message } from '../api/json/descriptor.js';
import * as C from '../api/json/messages-cluster.js';
import * as K from '../api/json/messages-kv.js';
import * as L from '../api/json/messages-lease.js';
import * as M from '../api/json/messages-maintenance.js';
import { prefixRangeEnd, utf8 } from '../util/bytes.js';
import { KvError } from '../util/errors.js';
import { resumableWatch, type ResumableWatchOptions, type WatchBatch } from './resumable-watch.js';
import { TxnBuilder } from './txn.js';
import { callUnary, RoundRobinEndpoints, type EndpointPool } from './unary.js';
import { HttpWatchStream } from './watch-stream.js';
import { AUTH, type Rpc } from '../api/rpcs.js';
import { AuthSession } from './auth-session.js';
import type { TlsClientOptions } from '../util/tls-options.js';

export interface ClientOptions {
  /** Client URLs, e.g. `http://127.0.0.1:2379`; bare `host:port` gets `http://`. */
  readonly endpoints: readonly string[];
  /** Per-request timeout (etcdctl's --command-timeout, 5 s). */
  readonly timeoutMs?: number;
  /** Rounds over all endpoints for requests refused as "not applied" (e.g. during an election). */
  readonly retryRounds?: number;
  /** With auth on: log in as this user (etcdctl's --user) and send its token with every call. */
  readonly username?: string;
  readonly password?: string;
  /** For https endpoints: CA, client certificate, or skipping verification (etcdctl's --cacert --cert --key --insecure-skip-tls-verify). */
  readonly tls?: TlsClientOptions;
}

export type Bytes = Uint8Array | string;

const toBytes = (b: Bytes): Uint8Array => (typeof b === 'string' ? utf8(b) : b);

/** etcdctl's `--prefix`: an empty prefix means every key (`\0` to `\0`). */
function prefixRange(prefix: Uint8Array): { key: Uint8Array; rangeEnd: Uint8Array } {
  if (prefix.length === 0) return { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };
  return { key: prefix, rangeEnd: prefixRangeEnd(prefix) };
}

function normalizeEndpoint(e: string): string {
  return /^https?:\/\//.test(e) ? e : `http://${e}`;
}

export class Client implements api.KV, api.Auth {
  readonly pool: EndpointPool;
  private readonly timeoutMs: number;
  private readonly rounds: number;
  private readonly session: AuthSession | undefined;
  private readonly tls: TlsClientOptions | undefined;

  constructor(options: ClientOptions) {
    this.pool = new RoundRobinEndpoints(options.endpoints.map(normalizeEndpoint));
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.rounds = options.retryRounds ?? 5;
    const { username, password } = options;
    this.session = username === undefined ? undefined : new AuthSession(async () => (await this.authenticate({ name: username, password: password ?? '' })).token);
    this.tls = options.tls;
  }

  private call<Req, Res>(path: string, reqDesc: MessageDesc<Req>, resDesc: MessageDesc<Res>, req: Req, idempotent: boolean): Promise<Res> {
    const send = (headers?: Record<string, string>): Promise<Res> =>
      callUnary(this.pool, path, reqDesc, resDesc, req, { idempotent, timeoutMs: this.timeoutMs, rounds: this.rounds, tls: this.tls, ...(headers ? { headers } : {}) });
    return this.session === undefined || path === AUTH.authenticate.path ? send() : this.session.run(send);
  }

  /** Headers for a stream opened now: the session's token (logging in first), if any. */
  private async streamHeaders(): Promise<Record<string, string>> {
    return this.session === undefined ? {} : this.session.headers();
  }

  // ---- KV --------------------------------------------------------------------------------
  range(req: api.RangeRequest): Promise<api.RangeResponse> {
    return this.call('/v3/kv/range', K.RangeRequestDesc, K.RangeResponseDesc, req, true);
  }
  put(req: api.PutRequest): Promise<api.PutResponse> {
    return this.call('/v3/kv/put', K.PutRequestDesc, K.PutResponseDesc, req, false);
  }
  deleteRange(req: api.DeleteRangeRequest): Promise<api.DeleteRangeResponse> {
    return this.call('/v3/kv/deleterange', K.DeleteRangeRequestDesc, K.DeleteRangeResponseDesc, req, false);
  }
  txn(req: api.TxnRequest): Promise<api.TxnResponse> {
    const readOnly = [...(req.success ?? []), ...(req.failure ?? [])].every((op) => op.type === 'range');
    return this.call('/v3/kv/txn', K.TxnRequestDesc, K.TxnResponseDesc, req, readOnly);
  }
  compact(req: api.CompactionRequest): Promise<api.CompactionResponse> {
    return this.call('/v3/kv/compaction', K.CompactionRequestDesc, K.CompactionResponseDesc, req, true);
  }

  // ---- conveniences ----------------------------------------------------------------------
  /** The value of `key`, or undefined. */
  async get(key: Bytes, options: Omit<api.RangeRequest, 'key'> = {}): Promise<api.KeyValue | undefined> {
    return (await this.range({ ...options, key: toBytes(key) })).kvs[0];
  }
  /** Every key with this prefix, in key order. */
  async getPrefix(prefix: Bytes, options: Omit<api.RangeRequest, 'key' | 'rangeEnd'> = {}): Promise<readonly api.KeyValue[]> {
    return (await this.range({ ...options, ...prefixRange(toBytes(prefix)) })).kvs;
  }
  /** A transaction: `client.txnBuilder().if(...).then(...).else(...).commit()`. */
  txnBuilder(): TxnBuilder {
    return new TxnBuilder((req) => this.txn(req));
  }

  // ---- Lease -----------------------------------------------------------------------------
  leaseGrant(req: api.LeaseGrantRequest): Promise<api.LeaseGrantResponse> {
    return this.call('/v3/lease/grant', L.LeaseGrantRequestDesc, L.LeaseGrantResponseDesc, req, req.id !== undefined && req.id !== 0n);
  }
  leaseRevoke(req: api.LeaseRevokeRequest): Promise<api.LeaseRevokeResponse> {
    return this.call('/v3/lease/revoke', L.LeaseRevokeRequestDesc, L.LeaseRevokeResponseDesc, req, true);
  }
  /** One keep-alive (the gateway's streaming endpoint, one request, first answer). */
  async leaseKeepAlive(req: api.LeaseKeepAliveRequest): Promise<api.LeaseKeepAliveResponse> {
    const res = await this.call('/v3/lease/keepalive', L.LeaseKeepAliveRequestDesc, StreamResult(L.LeaseKeepAliveResponseDesc), req, true);
    if (res.result === undefined) throw new KvError('LeaderChanged', 'cairn client: keep-alive stream gave no answer');
    return res.result;
  }
  leaseTimeToLive(req: api.LeaseTimeToLiveRequest): Promise<api.LeaseTimeToLiveResponse> {
    return this.call('/v3/lease/timetolive', L.LeaseTimeToLiveRequestDesc, L.LeaseTimeToLiveResponseDesc, req, true);
  }
  leaseLeases(): Promise<api.LeaseLeasesResponse> {
    return this.call('/v3/lease/leases', L.LeaseLeasesRequestDesc, L.LeaseLeasesResponseDesc, {}, true);
  }
  /**
   * Keeps a lease alive every `intervalMs` (default a third of its TTL) until stopped; `onError`
   * hears failures (the lease may expire if they persist).
   */
  keepAlive(id: bigint, ttlSeconds: number, onError?: (err: unknown) => void, intervalMs = Math.max(500, (ttlSeconds * 1000) / 3)): { stop(): void } {
    const timer = setInterval(() => {
      this.leaseKeepAlive({ id }).then(
        (r) => {
          if (r.ttl <= 0) onError?.(new KvError('LeaseNotFound'));
        },
        (err: unknown) => onError?.(err),
      );
    }, intervalMs);
    return { stop: () => clearInterval(timer) };
  }

  // ---- Watch -----------------------------------------------------------------------------
  /**
   * A raw watch stream to the preferred endpoint (many watches, no resumption). With a user, it
   * carries the token of the last login (call `authenticate` or any unary call first).
   */
  watch(): api.WatchStream {
    return new HttpWatchStream(this.pool.order()[0] as string, this.session?.current() ?? {}, this.tls);
  }
  /** A watch that reconnects and resumes from the last revision seen: no gaps, no duplicates. */
  watchKey(key: Bytes, options: Omit<api.WatchCreateRequest, 'key'> & { prefix?: boolean } = {}, resume: ResumableWatchOptions = {}): AsyncGenerator<WatchBatch> {
    const k = toBytes(key);
    const { prefix, ...rest } = options;
    const create = { ...rest, ...(prefix ? prefixRange(k) : { key: k }) };
    if (this.session === undefined) return resumableWatch(this.pool, create, { tls: this.tls, ...resume });
    const { pool, tls } = this;
    const headersNow = () => this.streamHeaders();
    return (async function* () {
      yield* resumableWatch(pool, create, { tls, ...resume, headers: { ...resume.headers, ...(await headersNow()) } });
    })();
  }

  // ---- Cluster ---------------------------------------------------------------------------
  memberList(req: api.MemberListRequest = {}): Promise<api.MemberListResponse> {
    return this.call('/v3/cluster/member/list', C.MemberListRequestDesc, C.MemberListResponseDesc, req, true);
  }
  memberAdd(req: api.MemberAddRequest): Promise<api.MemberAddResponse> {
    return this.call('/v3/cluster/member/add', C.MemberAddRequestDesc, C.MemberAddResponseDesc, req, false);
  }
  memberRemove(req: api.MemberRemoveRequest): Promise<api.MemberRemoveResponse> {
    return this.call('/v3/cluster/member/remove', C.MemberRemoveRequestDesc, C.MemberRemoveResponseDesc, req, false);
  }
  memberUpdate(req: api.MemberUpdateRequest): Promise<api.MemberUpdateResponse> {
    return this.call('/v3/cluster/member/update', C.MemberUpdateRequestDesc, C.MemberRemoveResponseDesc, req, false);
  }
  memberPromote(req: api.MemberPromoteRequest): Promise<api.MemberPromoteResponse> {
    return this.call('/v3/cluster/member/promote', C.MemberPromoteRequestDesc, C.MemberRemoveResponseDesc, req, false);
  }

  // ---- Maintenance -----------------------------------------------------------------------
  status(): Promise<api.StatusResponse> {
    return this.call('/v3/maintenance/status', M.EmptyDesc, M.StatusResponseDesc, {}, true);
  }
  hash(): Promise<api.HashResponse> {
    return this.call('/v3/maintenance/hash', M.EmptyDesc, M.HashResponseDesc, {}, true);
  }
  hashKV(req: api.HashKVRequest): Promise<api.HashKVResponse> {
    return this.call('/v3/maintenance/hashkv', M.HashKVRequestDesc, M.HashKVResponseDesc, req, true);
  }
  alarm(req: api.AlarmRequest): Promise<api.AlarmResponse> {
    return this.call('/v3/maintenance/alarm', M.AlarmRequestDesc, M.AlarmResponseDesc, req, req.action === 'GET');
  }
  defragment(): Promise<api.DefragmentResponse> {
    return this.call('/v3/maintenance/defragment', M.EmptyDesc, M.DefragmentResponseDesc, {}, true);
  }
  moveLeader(req: api.MoveLeaderRequest): Promise<api.MoveLeaderResponse> {
    return this.call('/v3/maintenance/transfer-leadership', M.MoveLeaderRequestDesc, M.MoveLeaderResponseDesc, req, false);
  }
  // ---- Auth ------------------------------------------------------------------------------
  private auth<Req, Res>(rpc: Rpc<Req, Res>, req: Req, idempotent: boolean): Promise<Res> {
    return this.call(rpc.path, rpc.request, rpc.response, req, idempotent);
  }
  authEnable(req: api.Empty = {}): Promise<api.AuthHeaderResponse> {
    return this.auth(AUTH.authEnable, req, false);
  }
  authDisable(req: api.Empty = {}): Promise<api.AuthHeaderResponse> {
    return this.auth(AUTH.authDisable, req, false);
  }
  authStatus(req: api.Empty = {}): Promise<api.AuthStatusResponse> {
    return this.auth(AUTH.authStatus, req, true);
  }
  authenticate(req: api.AuthenticateRequest): Promise<api.AuthenticateResponse> {
    return this.auth(AUTH.authenticate, req, false);
  }
  userAdd(req: api.AuthUserAddRequest): Promise<api.AuthHeaderResponse> {
    return this.auth(AUTH.userAdd, req, false);
  }
  userGet(req: api.AuthUserGetRequest): Promise<api.AuthUserGetResponse> {
    return this.auth(AUTH.userGet, req, true);
  }
  userList(req: api.Empty = {}): Promise<api.AuthUserListResponse> {
    return this.auth(AUTH.userList, req, true);
  }
  userDelete(req: api.AuthUserDeleteRequest): Promise<api.AuthHeaderResponse> {
    return this.auth(AUTH.userDelete, req, false);
  }
  userChangePassword(req: api.AuthUserChangePasswordRequest): Promise<api.AuthHeaderResponse> {
    return this.auth(AUTH.userChangePassword, req, false);
  }
  userGrantRole(req: api.AuthUserGrantRoleRequest): Promise<api.AuthHeaderResponse> {
    return this.auth(AUTH.userGrantRole, req, false);
  }
  userRevokeRole(req: api.AuthUserRevokeRoleRequest): Promise<api.AuthHeaderResponse> {
    return this.auth(AUTH.userRevokeRole, req, false);
  }
  roleAdd(req: api.AuthRoleAddRequest): Promise<api.AuthHeaderResponse> {
    return this.auth(AUTH.roleAdd, req, false);
  }
  roleGet(req: api.AuthRoleGetRequest): Promise<api.AuthRoleGetResponse> {
    return this.auth(AUTH.roleGet, req, true);
  }
  roleList(req: api.Empty = {}): Promise<api.AuthRoleListResponse> {
    return this.auth(AUTH.roleList, req, true);
  }
  roleDelete(req: api.AuthRoleDeleteRequest): Promise<api.AuthHeaderResponse> {
    return this.auth(AUTH.roleDelete, req, false);
  }
  roleGrantPermission(req: api.AuthRoleGrantPermissionRequest): Promise<api.AuthHeaderResponse> {
    return this.auth(AUTH.roleGrantPermission, req, false);
  }
  roleRevokePermission(req: api.AuthRoleRevokePermissionRequest): Promise<api.AuthHeaderResponse> {
    return this.auth(AUTH.roleRevokePermission, req, false);
  }

  snapshot(): Promise<api.Snapshot> {
    throw new KvError('Unimplemented', 'cairn client: snapshot download is not supported yet');
  }
}

/** A streaming endpoint's answer `{"result": …}`, read as one message for one-shot use. */
function StreamResult<T>(inner: MessageDesc<T>): MessageDesc<{ result?: T }> {
  return message<{ result?: T }>(`stream(${inner.goName})`, [field(1, 'result', () => inner as MessageDesc)]);
}
