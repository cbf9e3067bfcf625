/** `-w fields`: etcdctl's `"Name" : value` lines (printer_fields.go), strings in Go's %q. */
import type * as api from '../../api/kv.js';
import { assertNever } from '../../util/assert.js';
import { goList, goQuote, goQuoteString, hexId, hexId16 } from './format.js';
import { UnsupportedPrinter, type EpHashKV, type EpHealth, type EpStatus, type Sink } from './printer.js';

export class FieldsPrinter extends UnsupportedPrinter {
  constructor(
    private readonly sink: Sink,
    private readonly hex: boolean,
  ) {
    super('fields');
  }

  private f(name: string, value: string | number | bigint | boolean): void {
    this.sink.out(`"${name}" : ${value}\n`);
  }
  private blank(): void {
    this.sink.out('\n');
  }

  private hdr(h: api.ResponseHeader | undefined): void {
    const header = h ?? { clusterId: 0n, memberId: 0n, revision: 0, raftTerm: 0 };
    this.f('ClusterID', this.hex ? hexId(header.clusterId) : header.clusterId);
    this.f('MemberID', this.hex ? hexId(header.memberId) : header.memberId);
    // Only key-value answers carry a revision; etcdctl hides a zero one.
    if (header.revision > 0) this.f('Revision', header.revision);
    this.f('RaftTerm', header.raftTerm);
  }

  private kv(pfx: string, kv: api.KeyValue): void {
    this.f(`${pfx}Key`, goQuote(kv.key));
    this.f(`${pfx}CreateRevision`, kv.createRevision);
    this.f(`${pfx}ModRevision`, kv.modRevision);
    this.f(`${pfx}Version`, kv.version);
    this.f(`${pfx}Value`, goQuote(kv.value));
    this.f(`${pfx}Lease`, this.hex ? hexId16(kv.lease) : kv.lease);
  }

  override del(r: api.DeleteRangeResponse): void {
    this.hdr(r.header);
    this.f('Deleted', r.deleted);
    for (const kv of r.prevKvs ?? []) this.kv('Prev', kv);
  }
  override get(r: api.RangeResponse): void {
    this.hdr(r.header);
    for (const kv of r.kvs) this.kv('', kv);
    this.f('More', r.more === true);
    this.f('Count', r.count);
  }
  override put(r: api.PutResponse): void {
    this.hdr(r.header);
    if (r.prevKv !== undefined) this.kv('Prev', r.prevKv);
  }
  override txn(r: api.TxnResponse): void {
    this.hdr(r.header);
    this.f('Succeeded', r.succeeded);
    for (const op of r.responses) {
      switch (op.type) {
        case 'deleteRange': this.del(op.response); break;
        case 'put': this.put(op.response); break;
        case 'range': this.get(op.response); break;
        case 'txn': this.f('Unknown', goQuoteString(`nested txn succeeded:${op.response.succeeded}`)); break;
        default: assertNever(op);
      }
    }
  }
  override watch(r: api.WatchResponse): void {
    this.hdr(r.header);
    for (const e of r.events ?? []) {
      this.f('Type', e.type);
      if (e.prevKv !== undefined) this.kv('Prev', e.prevKv);
      this.kv('', e.kv);
    }
  }

  override grant(r: api.LeaseGrantResponse): void {
    this.hdr(r.header);
    this.f('ID', r.id);
    this.f('TTL', r.ttl);
  }
  override revoke(_id: bigint, r: api.LeaseRevokeResponse): void {
    this.hdr(r.header);
  }
  override keepAlive(r: api.LeaseKeepAliveResponse): void {
    this.hdr(r.header);
    this.f('ID', r.id);
    this.f('TTL', r.ttl);
  }
  override timeToLive(r: api.LeaseTimeToLiveResponse): void {
    this.hdr(r.header);
    this.f('ID', r.id);
    this.f('TTL', r.ttl);
    this.f('GrantedTTL', r.grantedTtl);
    for (const k of r.keys ?? []) this.f('Key', goQuote(k));
  }
  override leases(r: api.LeaseLeasesResponse): void {
    this.hdr(r.header);
    for (const l of r.leases) this.f('ID', l.id);
  }

  override memberAdd(r: api.MemberAddResponse): void {
    this.hdr(r.header);
    this.f('Member.ID', r.member.id);
    this.f('Member.Name', goQuoteString(r.member.name));
    for (const u of r.member.peerUrls) this.f('Member.PeerURL', goQuoteString(u));
    for (const u of r.member.clientUrls) this.f('Member.ClientURL', goQuoteString(u));
    this.blank();
    this.members(r.members);
  }
  override memberRemove(_id: bigint, r: api.MemberRemoveResponse): void { this.memberList(r); }
  override memberUpdate(_id: bigint, r: api.MemberUpdateResponse): void { this.memberList(r); }
  override memberPromote(_id: bigint, r: api.MemberPromoteResponse): void { this.memberList(r); }
  override memberList(r: api.MemberListResponse): void {
    this.hdr(r.header);
    this.members(r.members);
  }
  private members(list: readonly api.Member[]): void {
    for (const m of list) {
      this.f('ID', m.id);
      this.f('Name', goQuoteString(m.name));
      for (const u of m.peerUrls) this.f('PeerURL', goQuoteString(u));
      for (const u of m.clientUrls) this.f('ClientURL', goQuoteString(u));
      this.f('IsLearner', m.isLearner === true);
      this.blank();
    }
  }

  override endpointHealth(list: readonly EpHealth[]): void {
    for (const h of list) {
      this.f('Endpoint', goQuoteString(h.ep));
      this.f('Health', h.health);
      this.f('Took', h.took);
      this.f('Error', h.error ?? '');
      this.blank();
    }
  }
  override endpointStatus(list: readonly EpStatus[]): void {
    for (const { ep, resp } of list) {
      this.hdr(resp.header);
      this.f('Version', goQuoteString(resp.version));
      this.f('DBSize', resp.dbSize);
      this.f('DBSizeInUse', resp.dbSizeInUse);
      this.f('Leader', resp.leader);
      this.f('IsLearner', resp.isLearner);
      this.f('RaftIndex', resp.raftIndex);
      this.f('RaftTerm', resp.raftTerm);
      this.f('RaftAppliedIndex', resp.raftAppliedIndex);
      this.f('Errors', goList(resp.errors));
      this.f('Endpoint', goQuoteString(ep));
      this.blank();
    }
  }
  override endpointHashKV(list: readonly EpHashKV[]): void {
    for (const { ep, resp } of list) {
      this.hdr(resp.header);
      this.f('Endpoint', goQuoteString(ep));
      this.f('Hash', resp.hash);
      this.blank();
    }
  }
  override alarm(r: api.AlarmResponse): void {
    this.hdr(r.header);
    for (const a of r.alarms) {
      this.f('MemberID', a.memberId);
      this.f('AlarmType', a.alarm);
      this.blank();
    }
  }
}
