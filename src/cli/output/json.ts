/**
 * `-w json`: what etcdctl's printJSON prints — Go's encoding/json over the protobuf structs,
 * so int64s are JSON numbers, bytes are standard base64, zero fields are omitted where the
 * proto tags say `omitempty`, enums are numbers, and clientv3's wrapper types keep their
 * quirks (lease responses flatten the header; watch responses use Go field names).
 */
import type * as api from '../../api/kv.js';
import { encodeBase64 } from '../../api/json/base64.js';
import { assertNever } from '../../util/assert.js';
import { UnsupportedPrinter, type EpHashKV, type EpHealth, type EpStatus, type Sink } from './printer.js';

type Json = { [k: string]: unknown };

/** Brackets a bigint's digits inside the string JSON.stringify writes; then unquoted. */
const BIG = '\u{10FFFF}';
const BIG_NUMBER = /"\u{10FFFF}(-?\d+)\u{10FFFF}"/gu;

/** Drops zero values, as `omitempty` does. */
function omitEmpty(o: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === 0 || v === 0n || v === false || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out;
}

const b64 = (b: Uint8Array | undefined): string | undefined => (b === undefined || b.length === 0 ? undefined : encodeBase64(b));

export const headerJson = (h: api.ResponseHeader | undefined): Json | undefined =>
  h === undefined ? undefined : omitEmpty({ cluster_id: h.clusterId, member_id: h.memberId, revision: h.revision, raft_term: h.raftTerm });

export const kvJson = (kv: api.KeyValue): Json =>
  omitEmpty({ key: b64(kv.key), create_revision: kv.createRevision, mod_revision: kv.modRevision, version: kv.version, value: b64(kv.value), lease: kv.lease });

export const rangeJson = (r: api.RangeResponse): Json => omitEmpty({ header: headerJson(r.header), kvs: r.kvs.map(kvJson), more: r.more, count: r.count });
export const putJson = (r: api.PutResponse): Json => omitEmpty({ header: headerJson(r.header), prev_kv: r.prevKv && kvJson(r.prevKv) });
export const delJson = (r: api.DeleteRangeResponse): Json =>
  omitEmpty({ header: headerJson(r.header), deleted: r.deleted, prev_kvs: (r.prevKvs ?? []).map(kvJson) });

/**
 * A oneof marshals (Go's encoding/json, not jsonpb) as the field `Response` holding the
 * wrapper struct, whose one field has no json tag: its Go name, `ResponseRange` (etcdctl 3.4).
 */
function responseOpJson(op: api.ResponseOp): Json {
  switch (op.type) {
    case 'range': return { Response: { ResponseRange: rangeJson(op.response) } };
    case 'put': return { Response: { ResponsePut: putJson(op.response) } };
    case 'deleteRange': return { Response: { ResponseDeleteRange: delJson(op.response) } };
    case 'txn': return { Response: { ResponseTxn: txnJson(op.response) } };
    default: return assertNever(op);
  }
}

export const txnJson = (r: api.TxnResponse): Json =>
  omitEmpty({ header: headerJson(r.header), succeeded: r.succeeded, responses: r.responses.map(responseOpJson) });

const EVENT_TYPE = { PUT: 0, DELETE: 1 } as const;
const ALARM_TYPE = { NONE: 0, NOSPACE: 1, CORRUPT: 2 } as const;

const memberJson = (m: api.Member): Json =>
  omitEmpty({ ID: m.id, name: m.name, peerURLs: [...m.peerUrls], clientURLs: [...m.clientUrls], isLearner: m.isLearner });

const statusJson = (s: api.StatusResponse): Json =>
  omitEmpty({
    header: headerJson(s.header), version: s.version, dbSize: s.dbSize, leader: s.leader, raftIndex: s.raftIndex, raftTerm: s.raftTerm,
    raftAppliedIndex: s.raftAppliedIndex, errors: [...s.errors], dbSizeInUse: s.dbSizeInUse, isLearner: s.isLearner,
  });

/**
 * Go's encoding/json: a 64-bit ID (bigint) is a bare JSON number with every digit (JSON.stringify
 * refuses bigints), and <, > and & are escaped for HTML safety.
 */
export const goJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${BIG}${x}${BIG}` : x))
    .replace(BIG_NUMBER, '$1')
    .replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);

export class JsonPrinter extends UnsupportedPrinter {
  // `--hex` changes nothing here: etcdctl 3.4.23 prints member list IDs in decimal even with
  // it (hex JSON member lists came with 3.5), seen against it in test/compat/etcd-ids.test.ts.
  constructor(private readonly sink: Sink) {
    super('json');
  }
  private print(v: unknown): void {
    this.sink.out(`${goJson(v)}\n`);
  }

  override del(r: api.DeleteRangeResponse): void { this.print(delJson(r)); }
  override get(r: api.RangeResponse): void { this.print(rangeJson(r)); }
  override put(r: api.PutResponse): void { this.print(putJson(r)); }
  override txn(r: api.TxnResponse): void { this.print(txnJson(r)); }
  override watch(r: api.WatchResponse): void {
    this.print({
      Header: headerJson(r.header) ?? {},
      Events: (r.events ?? []).map((e) => omitEmpty({ type: EVENT_TYPE[e.type], kv: kvJson(e.kv), prev_kv: e.prevKv && kvJson(e.prevKv) })),
      CompactRevision: r.compactRevision ?? 0,
      Canceled: r.canceled === true,
      Created: r.created === true,
    });
  }

  // clientv3's lease responses embed *pb.ResponseHeader untagged: its fields come first, flat.
  override grant(r: api.LeaseGrantResponse): void { this.print({ ...headerJson(r.header), ID: r.id, TTL: r.ttl, Error: r.error ?? '' }); }
  override revoke(_id: bigint, r: api.LeaseRevokeResponse): void { this.print(omitEmpty({ header: headerJson(r.header) })); }
  override keepAlive(r: api.LeaseKeepAliveResponse): void { this.print({ ...headerJson(r.header), ID: r.id, TTL: r.ttl }); }
  override timeToLive(r: api.LeaseTimeToLiveResponse): void {
    const keys = r.keys === undefined || r.keys.length === 0 ? null : r.keys.map((k) => encodeBase64(k));
    this.print({ 'response-header': headerJson(r.header), id: r.id, ttl: r.ttl, 'granted-ttl': r.grantedTtl, keys });
  }
  override leases(r: api.LeaseLeasesResponse): void { this.print({ ...headerJson(r.header), leases: r.leases.map((l) => ({ id: l.id })) }); }

  override memberAdd(r: api.MemberAddResponse): void {
    this.print(omitEmpty({ header: headerJson(r.header), member: memberJson(r.member), members: r.members.map(memberJson) }));
  }
  override memberRemove(_id: bigint, r: api.MemberRemoveResponse): void { this.memberList(r); }
  override memberUpdate(_id: bigint, r: api.MemberUpdateResponse): void { this.memberList(r); }
  override memberPromote(_id: bigint, r: api.MemberPromoteResponse): void { this.memberList(r); }
  override memberList(r: api.MemberListResponse): void {
    this.print(omitEmpty({ header: headerJson(r.header), members: r.members.map(memberJson) }));
  }

  override endpointHealth(list: readonly EpHealth[]): void {
    this.print(list.map((h) => ({ endpoint: h.ep, health: h.health, took: h.took, ...(h.error !== undefined ? { error: h.error } : {}) })));
  }
  override endpointStatus(list: readonly EpStatus[]): void { this.print(list.map((s) => ({ Endpoint: s.ep, Status: statusJson(s.resp) }))); }
  override endpointHashKV(list: readonly EpHashKV[]): void {
    // etcd's store starts at compact revision -1 and etcdctl always prints it; a revision is
    // never compacted at 0, so 0 (omitted on the wire) means "never compacted".
    const compacted = (r: api.HashKVResponse) => (r.compactRevision === 0 ? -1 : r.compactRevision);
    this.print(list.map((h) => ({ Endpoint: h.ep, HashKV: { ...omitEmpty({ header: headerJson(h.resp.header), hash: h.resp.hash }), compact_revision: compacted(h.resp) } })));
  }
  override moveLeader(_l: bigint, _t: bigint, r: api.MoveLeaderResponse): void { this.print(omitEmpty({ header: headerJson(r.header) })); }
  override alarm(r: api.AlarmResponse): void {
    this.print(omitEmpty({ header: headerJson(r.header), alarms: r.alarms.map((a) => omitEmpty({ memberID: a.memberId, alarm: ALARM_TYPE[a.alarm] })) }));
  }
}
