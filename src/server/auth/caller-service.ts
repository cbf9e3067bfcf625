/**
 * The member as one caller sees it: every KV, lease, watch, cluster and maintenance call checked
 * against that caller's identity and permissions, then handed to the MemberService. This is the
 * one place requests are authorised; the gateway, the plain `/kv/` API, SSE watches and gRPC all
 * build one of these per request from the credentials they received (etcd-auth-tls §3.2, §5.2).
 *
 * While auth is off every check passes and tokens are ignored (etcd 3.5.10+).
 */
import type * as api from '../../api/kv.js';
import { GrpcCode, KvError } from '../../util/errors.js';
import type { MemberService } from '../service.js';
import { AuthCalls } from './auth-calls.js';
import type { Authority, Caller } from './authority.js';
import { localId } from '../api-ids.js';

const GRPC_NAMES = Object.fromEntries(Object.entries(GrpcCode).map(([name, code]) => [code, name])) as Record<number, string>;

/** A watch create refused by auth, as etcd words the cancel reason (grpc status text). */
function cancelReason(err: KvError): string {
  return `rpc error: code = ${GRPC_NAMES[err.grpcCode] ?? 'Unknown'} desc = ${err.message}`;
}

export class CallerService extends AuthCalls implements api.KV {
  constructor(inner: MemberService, authority: Authority, creds: api.Credentials) {
    super(inner, authority, creds);
  }

  async range(req: api.RangeRequest, opts?: api.RangeCallOptions): Promise<api.RangeResponse> {
    this.authority.requireRead(await this.who(), req.key, req.rangeEnd);
    return this.inner.range(req, opts);
  }

  async put(req: api.PutRequest): Promise<api.PutResponse> {
    const caller = await this.who();
    this.checkPut(caller, req);
    return this.inner.put(req, this.authority.stamp(caller));
  }

  async deleteRange(req: api.DeleteRangeRequest): Promise<api.DeleteRangeResponse> {
    const caller = await this.who();
    this.checkDelete(caller, req);
    return this.inner.deleteRange(req, this.authority.stamp(caller));
  }

  /** Every compare, and every op of both branches (nested txns too), whichever branch runs. */
  async txn(req: api.TxnRequest): Promise<api.TxnResponse> {
    const caller = await this.who();
    this.checkTxn(caller, req);
    return this.inner.txn(req, this.authority.stamp(caller));
  }

  async compact(req: api.CompactionRequest): Promise<api.CompactionResponse> {
    this.authority.requireAdmin(await this.who());
    return this.inner.compact(req);
  }

  async leaseGrant(req: api.LeaseGrantRequest): Promise<api.LeaseGrantResponse> {
    this.authority.requireUser(await this.who());
    return this.inner.leaseGrant(req);
  }

  async leaseRevoke(req: api.LeaseRevokeRequest): Promise<api.LeaseRevokeResponse> {
    this.checkLeaseWrite(await this.who(), req.id);
    return this.inner.leaseRevoke(req);
  }

  async leaseKeepAlive(req: api.LeaseKeepAliveRequest): Promise<api.LeaseKeepAliveResponse> {
    this.checkLeaseWrite(await this.who(), req.id);
    return this.inner.leaseKeepAlive(req, this.forwardToken());
  }

  async leaseTimeToLive(req: api.LeaseTimeToLiveRequest): Promise<api.LeaseTimeToLiveResponse> {
    const caller = await this.who();
    this.authority.requireUser(caller);
    // etcd 3.4.26+: the key names need read permission on each (CVE-2023-32082).
    if (req.keys === true) for (const key of this.leaseKeys(req.id)) this.authority.requireRead(caller, key);
    return this.inner.leaseTimeToLive(req, this.forwardToken());
  }

  async leaseLeases(): Promise<api.LeaseLeasesResponse> {
    const caller = await this.who();
    this.authority.requireUser(caller);
    if (!this.authority.isAdmin(caller)) {
      for (const id of this.inner.member.leases.list()) for (const key of this.leaseKeys(id)) this.authority.requireRead(caller, key);
    }
    return this.inner.leaseLeases();
  }

  /**
   * Each create is checked when it arrives, with the stream's credentials, over the range as
   * sent (before `\0` is widened: etcd GHSA-xg4h-6gfc-h4m8). A refused create is answered
   * created+canceled and the stream stays open. Open watches are not re-checked (etcd §5.3).
   */
  watch(): api.WatchStream {
    const stream = this.inner.watch();
    let chain = Promise.resolve();
    const create = async (req: api.WatchCreateRequest): Promise<void> => {
      try {
        const key = req.key.length === 0 ? new Uint8Array([0]) : req.key;
        this.authority.requireRead(await this.who(), key, req.rangeEnd);
      } catch (err) {
        stream.refuse(cancelReason(err instanceof KvError ? err : new KvError('Unknown', String(err))));
        return;
      }
      stream.send({ type: 'create', request: req });
    };
    return {
      // Requests stay in order: a create waiting for its check holds back what follows it.
      send: (request) => {
        // `create` answers its own failures; nothing may reject the chain and stall later requests.
        chain = chain.then(() => (request.type === 'create' ? create(request.request) : stream.send(request))).catch(() => undefined);
      },
      close: () => stream.close(),
      [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
      takeReady: () => stream.takeReady?.(),
    };
  }

  async memberList(_req: api.MemberListRequest): Promise<api.MemberListResponse> {
    this.authority.requireUser(await this.who());
    return this.inner.memberList();
  }

  async memberAdd(req: api.MemberAddRequest): Promise<api.MemberAddResponse> {
    this.authority.requireAdmin(await this.who());
    return this.inner.memberAdd(req);
  }

  async memberRemove(req: api.MemberRemoveRequest): Promise<api.MemberRemoveResponse> {
    this.authority.requireAdmin(await this.who());
    return this.inner.memberRemove(req);
  }

  async memberUpdate(req: api.MemberUpdateRequest): Promise<api.MemberUpdateResponse> {
    this.authority.requireAdmin(await this.who());
    return this.inner.memberUpdate(req);
  }

  async memberPromote(req: api.MemberPromoteRequest): Promise<api.MemberPromoteResponse> {
    this.authority.requireAdmin(await this.who());
    return this.inner.memberPromote(req, this.forwardToken());
  }

  async status(): Promise<api.StatusResponse> {
    this.authority.requireUser(await this.who());
    return this.inner.status();
  }

  async hash(): Promise<api.HashResponse> {
    this.authority.requireAdmin(await this.who(), true);
    return this.inner.hash();
  }

  async hashKV(req: api.HashKVRequest): Promise<api.HashKVResponse> {
    this.authority.requireAdmin(await this.who(), true);
    return this.inner.hashKV(req);
  }

  /** GET for any authenticated user; raising or clearing an alarm is root's (etcd 3.5.28+). */
  async alarm(req: api.AlarmRequest): Promise<api.AlarmResponse> {
    const caller = await this.who();
    if (req.action === 'GET') this.authority.requireUser(caller);
    else this.authority.requireAdmin(caller);
    return this.inner.alarm(req);
  }

  async defragment(): Promise<api.DefragmentResponse> {
    this.authority.requireAdmin(await this.who(), true);
    return this.inner.defragment();
  }

  async moveLeader(req: api.MoveLeaderRequest): Promise<api.MoveLeaderResponse> {
    this.authority.requireAdmin(await this.who());
    return this.inner.moveLeader(req);
  }

  async snapshot(): Promise<api.Snapshot> {
    this.authority.requireAdmin(await this.who(), true);
    return this.inner.snapshot();
  }

  // ---- requirements --------------------------------------------------------------------------

  /** WRITE on the key; READ too with prev_kv; a lease already holding keys needs WRITE on each. */
  private checkPut(caller: Caller | undefined, req: api.PutRequest): void {
    this.authority.requireWrite(caller, req.key);
    if (req.prevKv === true) this.authority.requireRead(caller, req.key);
    if (req.lease !== undefined && req.lease !== 0n && !this.authority.isAdmin(caller)) {
      for (const key of this.leaseKeys(req.lease)) this.authority.requireWrite(caller, key);
    }
  }

  private checkDelete(caller: Caller | undefined, req: api.DeleteRangeRequest): void {
    this.authority.requireWrite(caller, req.key, req.rangeEnd);
    if (req.prevKv === true) this.authority.requireRead(caller, req.key, req.rangeEnd);
  }

  private checkTxn(caller: Caller | undefined, req: api.TxnRequest): void {
    for (const c of req.compare ?? []) this.authority.requireRead(caller, c.key, c.rangeEnd);
    for (const op of [...(req.success ?? []), ...(req.failure ?? [])]) {
      switch (op.type) {
        case 'range':
          this.authority.requireRead(caller, op.request.key, op.request.rangeEnd);
          break;
        case 'put':
          this.checkPut(caller, op.request);
          break;
        case 'deleteRange':
          this.checkDelete(caller, op.request);
          break;
        case 'txn':
          this.checkTxn(caller, op.request);
          break;
      }
    }
  }

  /** Revoke and keep-alive: authenticated, and WRITE on every key the lease holds (etcd 3.5.28+). */
  private checkLeaseWrite(caller: Caller | undefined, id: bigint): void {
    this.authority.requireUser(caller);
    if (this.authority.isAdmin(caller)) return;
    for (const key of this.leaseKeys(id)) this.authority.requireWrite(caller, key);
  }

  /** The keys attached to a lease (none for an ID above what this member issues: no such lease). */
  private leaseKeys(id: bigint | number): readonly Uint8Array[] {
    const local = typeof id === 'bigint' ? localId(id) : id;
    return local === undefined ? [] : (this.inner.member.leases.timeToLive(local, true).keys ?? []);
  }

  /** What a follower sends the leader when it forwards a call (simple tokens and JWTs resolve there too). */
  private forwardToken(): string | undefined {
    return this.authority.enabled ? this.creds.token : undefined;
  }
}
