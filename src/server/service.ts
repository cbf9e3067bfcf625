/**
 * The member behind the `KV` interface that the HTTP gateway serves and the client implements:
 * adds etcd's response headers and maps the store's shapes to the API's. Sub-responses of a txn
 * carry only their revision, as etcd's do.
 */
import type * as api from '../api/kv.js';
import type { PutResponse as StorePutResponse, ResponseOp as StoreResponseOp, TxnResponse as StoreTxnResponse } from '../store/requests.js';
import type { WatchResponse as StoreWatchResponse } from '../store/watch-types.js';
import { assertNever } from '../util/assert.js';
import { isKvError, KvError } from '../util/errors.js';
import { requestTimeoutMs } from './config.js';
import { forwardKeepAlive, forwardTimeToLive } from './leader-forward.js';
import type { FetchFn } from '../util/tls-fetch.js';
import { moveLeader } from './leader-transfer.js';
import type { Member } from './member.js';
import { decodeJson, encodeMessage, kvErrorFromBody, type ErrorBody } from '../api/json.js';
import { UNARY } from '../api/rpcs.js';
import { addMember, promoteMember, removeMember, updateMember } from './membership-changes.js';
import type { Member as MemberRecord } from './membership.js';

import { apiId, localId, localLeaseId, localMemberId, toApiKv, toApiKvs, toApiEvents, toStorePut, toStoreTxn } from './api-ids.js';
import type { AlarmMember as StoreAlarm } from './alarms.js';
import { CAIRN_VERSION, SERVER_VERSION } from './version.js';
import type { AuthStamp } from './auth/auth-requests.js';

export { CAIRN_VERSION };

function subHeader(revision: number): api.ResponseHeader {
  return { clusterId: 0n, memberId: 0n, revision, raftTerm: 0 };
}

function mapOp(op: StoreResponseOp): api.ResponseOp {
  switch (op.type) {
    case 'range':
      return { type: 'range', response: { ...op.response, kvs: toApiKvs(op.response.kvs), header: subHeader(op.response.revision) } };
    case 'put':
      return { type: 'put', response: withPrevKv(op.response, subHeader(op.response.revision)) };
    case 'deleteRange':
      return { type: 'deleteRange', response: { ...op.response, prevKvs: toApiKvs(op.response.prevKvs), header: subHeader(op.response.revision) } };
    case 'txn':
      return { type: 'txn', response: mapTxn(op.response, subHeader(0)) };
    default:
      return assertNever(op, 'response op');
  }
}

function withPrevKv(r: StorePutResponse, header: api.ResponseHeader): api.PutResponse {
  return r.prevKv === undefined ? { header } : { header, prevKv: toApiKv(r.prevKv) };
}

function toApiAlarm(a: StoreAlarm): api.AlarmMember {
  return { memberId: apiId(a.memberId), alarm: a.alarm };
}

function mapTxn(r: StoreTxnResponse, header: api.ResponseHeader): api.TxnResponse {
  return { header, succeeded: r.succeeded, responses: r.responses.map(mapOp) };
}

function toApiMember(m: MemberRecord): api.Member {
  return { id: apiId(m.id), name: m.name, peerUrls: m.peerUrls, clientUrls: m.clientUrls, isLearner: m.isLearner };
}

export class MemberService implements api.KV {
  private readonly timeoutMs: number;

  /**
   * `forwardFetch` reaches the leader's client URL (lease keep-alive and time-to-live, member
   * promote); under client TLS it carries the member's CA and certificate (tls-settings.ts).
   */
  constructor(
    readonly member: Member,
    private readonly forwardFetch: FetchFn = fetch,
  ) {
    this.timeoutMs = requestTimeoutMs(member.config);
  }

  private header(revision: number): api.ResponseHeader {
    return { clusterId: apiId(this.member.cluster.clusterId), memberId: apiId(this.member.id), revision, raftTerm: this.member.raftTerm };
  }

  currentHeader(): api.ResponseHeader {
    return this.header(this.member.watchHub.source.currentRevision());
  }

  async range(req: api.RangeRequest, opts?: api.RangeCallOptions): Promise<api.RangeResponse> {
    const r = await this.member.range(req, opts?.charge);
    return { ...r, kvs: toApiKvs(r.kvs), header: this.header(r.revision) };
  }

  /** `auth` (writes): the caller's stamp from the auth check (auth/caller-service.ts). */
  async put(req: api.PutRequest, auth?: AuthStamp): Promise<api.PutResponse> {
    const r = await this.member.put(toStorePut(req), auth);
    return withPrevKv(r, this.header(r.revision));
  }

  async deleteRange(req: api.DeleteRangeRequest, auth?: AuthStamp): Promise<api.DeleteRangeResponse> {
    const r = await this.member.deleteRange(req, auth);
    return { ...r, prevKvs: toApiKvs(r.prevKvs), header: this.header(r.revision) };
  }

  async txn(req: api.TxnRequest, auth?: AuthStamp): Promise<api.TxnResponse> {
    const r = await this.member.txn(toStoreTxn(req), auth);
    return mapTxn(r, this.header(r.revision));
  }

  async compact(req: api.CompactionRequest): Promise<api.CompactionResponse> {
    const r = await this.member.compact(req.revision);
    if (req.physical) await r.physical;
    return { header: this.header(r.revision) };
  }

  async leaseGrant(req: api.LeaseGrantRequest): Promise<api.LeaseGrantResponse> {
    this.member.refuseOnLearner();
    // cairn issues lease IDs below 2^53 (docs/embedding.md): a larger requested ID is refused.
    const wanted = localId(req.id ?? 0n);
    if (wanted === undefined) throw new KvError('InvalidArgument', `etcdserver: lease ID ${req.id} is out of range: cairn grants lease IDs up to 2^53-1`);
    const r = await this.member.leases.grant(wanted, req.ttl);
    return { header: this.currentHeader(), id: apiId(r.id), ttl: r.ttl };
  }

  async leaseRevoke(req: api.LeaseRevokeRequest): Promise<api.LeaseRevokeResponse> {
    this.member.refuseOnLearner();
    await this.member.leases.revoke(localLeaseId(req.id));
    return { header: this.currentHeader() };
  }

  /** The leader's advertised client URL, for what only the leader can answer. */
  private leaderUrl(): string {
    const url = this.member.cluster.get(this.member.leaderId)?.clientUrls[0];
    if (this.member.leaderId === 0 || url === undefined) throw new KvError('NoLeader');
    return url;
  }

  /** `token`: the caller's, sent along when a follower forwards to the leader (auth on). */
  async leaseKeepAlive(req: api.LeaseKeepAliveRequest, token?: string): Promise<api.LeaseKeepAliveResponse> {
    this.member.refuseOnLearner();
    // No lease that large exists here: etcd answers an unknown lease's keep-alive with TTL 0.
    const id = localId(req.id);
    if (id === undefined) return { header: this.currentHeader(), id: req.id, ttl: 0 };
    if (this.member.isLeader) {
      try {
        const ttl = await this.member.leases.renew(id);
        return { header: this.currentHeader(), id: req.id, ttl };
      } catch (err) {
        // etcd answers a keep-alive for an unknown lease with TTL 0, not an error.
        if (isKvError(err, 'LeaseNotFound')) return { header: this.currentHeader(), id: req.id, ttl: 0 };
        // Deposed before its leadership was confirmed (etcd 15247): the new leader answers, if
        // one is known; a partitioned old leader answers "no leader" so the client moves on.
        if (!isKvError(err, 'NotLeader') || this.member.leaderId === this.member.id) throw err;
      }
    }
    const ttl = await forwardKeepAlive(this.leaderUrl(), id, this.timeoutMs, this.forwardFetch, token);
    return { header: this.currentHeader(), id: req.id, ttl };
  }

  async leaseTimeToLive(req: api.LeaseTimeToLiveRequest, token?: string): Promise<api.LeaseTimeToLiveResponse> {
    const id = localId(req.id);
    // etcd answers TTL -1 for a lease it does not know (not an error).
    if (id === undefined) return { header: this.currentHeader(), id: req.id, ttl: -1, grantedTtl: 0 };
    if (!this.member.isLeader) {
      const r = await forwardTimeToLive(this.leaderUrl(), id, req.keys ?? false, this.timeoutMs, this.forwardFetch, token);
      return { header: this.currentHeader(), ...r, id: req.id };
    }
    const r = this.member.leases.timeToLive(id, req.keys ?? false);
    return { header: this.currentHeader(), ...r, id: req.id };
  }

  async leaseLeases(): Promise<api.LeaseLeasesResponse> {
    return { header: this.currentHeader(), leases: this.member.leases.list().map((id) => ({ id: apiId(id) })) };
  }

  /** `refuse` answers a create the caller may not make (etcd: created, canceled, the reason). */
  watch(): api.WatchStream & { refuse(reason: string): void } {
    const stream = this.member.newWatchStream();
    // Responses of one revision share a header object, so the HTTP layer encodes it once per
    // stream rather than once per watcher (http/watch-encode.ts).
    let last: api.ResponseHeader | undefined;
    const header = (r: StoreWatchResponse): api.ResponseHeader => {
      if (last?.revision !== r.headerRevision || last.raftTerm !== this.member.raftTerm) last = this.header(r.headerRevision);
      return last;
    };
    return {
      send: (request) => {
        switch (request.type) {
          case 'create':
            stream.watch(request.request);
            return;
          case 'cancel':
            stream.cancel(request.watchId);
            return;
          case 'progress':
            stream.requestProgress();
            return;
          default:
            assertNever(request, 'watch request');
        }
      },
      refuse: (reason) => stream.refuse(reason),
      takeReady: () => {
        const r = stream.takeReadyNow();
        return r === undefined ? undefined : toApiWatchResponse(r, header(r));
      },
      close: () => stream.close(),
      // A plain iterator, not an async generator, and responses built field by field rather than
      // by object rest/spread: both were per-response costs that 10,000 watchers multiply (issue 18).
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<api.WatchResponse>> => {
          const r = await stream.next();
          return r === undefined ? { done: true, value: undefined } : { done: false, value: toApiWatchResponse(r, header(r)) };
        },
        return: async (): Promise<IteratorResult<api.WatchResponse>> => {
          stream.close();
          return { done: true, value: undefined };
        },
      }),
    };
  }

  async memberList(): Promise<api.MemberListResponse> {
    return { header: this.currentHeader(), members: this.member.memberList().map(toApiMember) };
  }

  async memberAdd(req: api.MemberAddRequest): Promise<api.MemberAddResponse> {
    const r = await addMember(this.member, req.peerUrls, req.isLearner ?? false);
    return { header: this.currentHeader(), member: toApiMember(r.member), members: r.members.map(toApiMember) };
  }

  async memberRemove(req: api.MemberRemoveRequest): Promise<api.MemberRemoveResponse> {
    const members = await removeMember(this.member, localMemberId(req.id));
    return { header: this.currentHeader(), members: members.map(toApiMember) };
  }

  async memberUpdate(req: api.MemberUpdateRequest): Promise<api.MemberUpdateResponse> {
    const members = await updateMember(this.member, localMemberId(req.id), req.peerUrls);
    return { header: this.currentHeader(), members: members.map(toApiMember) };
  }

  /** Only the leader knows whether the learner has caught up: a follower forwards, as etcd does. */
  async memberPromote(req: api.MemberPromoteRequest, token?: string): Promise<api.MemberPromoteResponse> {
    if (!this.member.isLeader) return this.forwardPromote(req, token);
    const members = await promoteMember(this.member, localMemberId(req.id));
    return { header: this.currentHeader(), members: members.map(toApiMember) };
  }

  private async forwardPromote(req: api.MemberPromoteRequest, token: string | undefined): Promise<api.MemberPromoteResponse> {
    const rpc = UNARY.memberPromote;
    let res: Response;
    try {
      res = await this.forwardFetch(new URL(rpc.path, this.leaderUrl()), {
        method: 'POST',
        body: encodeMessage(rpc.request, req),
        ...(token === undefined ? {} : { headers: { authorization: token } }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new KvError('LeaderChanged', `etcdserver: leader changed (forwarding member promote failed: ${(err as Error).message})`);
    }
    const text = await res.text();
    if (!res.ok) {
      let body: ErrorBody;
      try {
        body = JSON.parse(text) as ErrorBody;
      } catch {
        throw new KvError('LeaderChanged', `etcdserver: leader changed (leader answered ${res.status}: ${text.slice(0, 200)})`);
      }
      throw kvErrorFromBody(body);
    }
    return { ...decodeJson(rpc.response, text), header: this.currentHeader() };
  }

  async status(): Promise<api.StatusResponse> {
    const s = await this.member.status();
    return {
      header: this.currentHeader(),
      version: SERVER_VERSION,
      dbSize: s.dbSize,
      dbSizeInUse: s.dbSize,
      leader: apiId(s.leader),
      raftIndex: s.raftIndex,
      raftTerm: s.raftTerm,
      raftAppliedIndex: s.raftAppliedIndex,
      errors: s.errors,
      isLearner: s.isLearner,
    };
  }

  async hash(): Promise<api.HashResponse> {
    const r = await this.member.hashKV(0);
    return { header: this.header(r.revision), hash: r.hash };
  }

  async hashKV(req: api.HashKVRequest): Promise<api.HashKVResponse> {
    const r = await this.member.hashKV(req.revision ?? 0);
    return { header: this.header(r.revision), hash: r.hash, compactRevision: r.compactRevision };
  }

  /** GET lists active alarms; ACTIVATE/DEACTIVATE go through raft and return the alarms they changed. */
  async alarm(req: api.AlarmRequest): Promise<api.AlarmResponse> {
    if (req.action === 'GET') {
      const all = this.member.alarms.list();
      const wanted = all.filter((a) => (req.memberId ?? 0n) === 0n || apiId(a.memberId) === req.memberId).filter((a) => (req.alarm ?? 'NONE') === 'NONE' || a.alarm === req.alarm);
      return { header: this.currentHeader(), alarms: wanted.map(toApiAlarm) };
    }
    if (req.alarm === undefined || req.alarm === 'NONE') {
      // etcd's `alarm disarm` deactivates every active alarm, one request each.
      const changed: api.AlarmMember[] = [];
      for (const a of this.member.alarms.list()) {
        const action = req.action === 'ACTIVATE' ? 'activate' : 'deactivate';
        changed.push(...((await this.member.propose({ op: 'alarm', action, memberId: a.memberId, alarm: a.alarm })) as StoreAlarm[]).map(toApiAlarm));
      }
      return { header: this.currentHeader(), alarms: changed };
    }
    const action = req.action === 'ACTIVATE' ? 'activate' : 'deactivate';
    const memberId = req.memberId === undefined ? this.member.id : localMemberId(req.memberId);
    const changed = (await this.member.propose({ op: 'alarm', action, memberId, alarm: req.alarm })) as StoreAlarm[];
    return { header: this.currentHeader(), alarms: changed.map(toApiAlarm) };
  }

  async defragment(): Promise<api.DefragmentResponse> {
    await this.member.defragment();
    return { header: this.currentHeader() };
  }

  async moveLeader(req: api.MoveLeaderRequest): Promise<api.MoveLeaderResponse> {
    const target = localId(req.targetId);
    if (target === undefined) throw new KvError('BadLeaderTransferee');
    await moveLeader(this.member, target, this.member.clock, this.timeoutMs, this.member.config.heartbeatIntervalMs);
    return { header: this.currentHeader() };
  }


  /** The backend's point-in-time copy; the gateway appends etcd's SHA-256 trailer. */
  snapshot(): Promise<api.Snapshot> {
    return this.member.backendCopy();
  }
}

/** The API shape of a store watch response: the same fields, IDs and header as the API has them. */
function toApiWatchResponse(r: StoreWatchResponse, header: api.ResponseHeader): api.WatchResponse {
  const out: { -readonly [K in keyof api.WatchResponse]: api.WatchResponse[K] } = { header, watchId: r.watchId, events: toApiEvents(r.events) };
  if (r.created !== undefined) out.created = r.created;
  if (r.canceled !== undefined) out.canceled = r.canceled;
  if (r.compactRevision !== undefined) out.compactRevision = r.compactRevision;
  if (r.cancelReason !== undefined) out.cancelReason = r.cancelReason;
  if (r.fragment !== undefined) out.fragment = r.fragment;
  return out;
}
