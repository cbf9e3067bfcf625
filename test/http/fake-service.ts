/**
 * An in-memory KV service good enough to drive every HTTP route: one member, global revision,
 * create/mod revision and version, txns with compares, compaction, leases without expiry,
 * watches, a member list, alarms and a snapshot. `failNext` makes one call reject, to test
 * how errors reach the wire.
 */
import type {
  AlarmMember,
  AlarmRequest,
  Compare,
  KV,
  KeyValue,
  Member,
  RequestOp,
  ResponseHeader,
  ResponseOp,
  Snapshot,
  TxnRequest,
  TxnResponse,
} from '../../src/api/kv.js';
import { bytesEqual, compareBytes } from '../../src/util/bytes.js';
import { KvError } from '../../src/util/errors.js';
import { FakeStore } from './fake-store.js';
import { FakeWatchStream } from './fake-watch.js';

export const CLUSTER_ID = 8_119_415_600_579_143n;
export const MEMBER_ID = 1_731_595_256_941_151n;
export const RAFT_TERM = 2;

function compareHolds(c: Compare, kv: KeyValue | undefined): boolean {
  const target = c.target ?? 'VERSION';
  // etcd: a VALUE compare on a missing key is false whatever the result.
  if (target === 'VALUE' && kv === undefined) return false;
  let d: number;
  switch (target) {
    case 'VERSION': d = (kv?.version ?? 0) - (c.version ?? 0); break;
    case 'CREATE': d = (kv?.createRevision ?? 0) - (c.createRevision ?? 0); break;
    case 'MOD': d = (kv?.modRevision ?? 0) - (c.modRevision ?? 0); break;
    case 'LEASE': d = Number((kv?.lease ?? 0n) - (c.lease ?? 0n)); break;
    case 'VALUE': d = compareBytes(kv?.value ?? new Uint8Array(0), c.value ?? new Uint8Array(0)); break;
  }
  switch (c.result ?? 'EQUAL') {
    case 'EQUAL': return d === 0;
    case 'NOT_EQUAL': return d !== 0;
    case 'GREATER': return d > 0;
    case 'LESS': return d < 0;
  }
}

/** etcd stamps every op header of a txn with the txn's revision; nested txn headers stay empty. */
function withRevision(responses: readonly ResponseOp[], revision: number): ResponseOp[] {
  const header = { clusterId: 0n, memberId: 0n, raftTerm: 0, revision };
  return responses.map((op): ResponseOp => {
    if (op.type !== 'txn') return { ...op, response: { ...op.response, header } } as ResponseOp;
    return { type: 'txn', response: { ...op.response, responses: withRevision(op.response.responses, revision) } };
  });
}

function putKeys(ops: readonly RequestOp[] | undefined): Uint8Array[] {
  return (ops ?? []).flatMap((op) => (op.type === 'put' ? [op.request.key] : []));
}

export class FakeService implements KV {
  readonly store = new FakeStore();
  readonly streams = new Set<FakeWatchStream>();
  members: Member[] = [
    { id: MEMBER_ID, name: 'fake', peerUrls: ['http://127.0.0.1:2380'], clientUrls: ['http://127.0.0.1:2379'] },
  ];
  alarms: AlarmMember[] = [];
  leader = MEMBER_ID;
  snapshotBytes: Uint8Array = new Uint8Array(70_000).map((_, i) => (i * 7) % 251);
  private nextMemberId = 100n;
  private failure: { method: keyof KV; err: Error } | undefined;

  failNext(method: keyof KV, err: Error): void {
    this.failure = { method, err };
  }

  private check(method: keyof KV): void {
    if (this.failure?.method === method) {
      const { err } = this.failure;
      this.failure = undefined;
      throw err;
    }
  }

  header(revision = this.store.revision): ResponseHeader {
    return { clusterId: CLUSTER_ID, memberId: MEMBER_ID, revision, raftTerm: RAFT_TERM };
  }

  private clusterHeader(): ResponseHeader {
    return this.header(0);
  }

  private noSpace(): void {
    if (this.alarms.some((a) => a.alarm === 'NOSPACE')) throw new KvError('NoSpace');
  }

  async range(req: Parameters<KV['range']>[0]) {
    this.check('range');
    return { header: this.header(), ...this.store.range(req) };
  }

  async put(req: Parameters<KV['put']>[0]) {
    this.check('put');
    this.noSpace();
    const { result: prev, revision } = this.store.write((rev, events) => this.store.put(req, rev, events));
    return req.prevKv && prev !== undefined ? { header: this.header(revision), prevKv: prev } : { header: this.header(revision) };
  }

  async deleteRange(req: Parameters<KV['deleteRange']>[0]) {
    this.check('deleteRange');
    const { result, revision } = this.store.write((rev, events) => this.store.deleteRange(req, rev, events));
    return { header: this.header(revision), deleted: result.length, ...(req.prevKv ? { prevKvs: result } : {}) };
  }

  async txn(req: TxnRequest): Promise<TxnResponse> {
    this.check('txn');
    const keys = [...putKeys(req.success), ...putKeys(req.failure)];
    for (const ops of [req.success, req.failure]) {
      const puts = putKeys(ops);
      if (puts.some((k, i) => puts.findIndex((o) => bytesEqual(o, k)) !== i)) throw new KvError('DuplicateKey');
    }
    if (keys.length > 0) this.noSpace();
    const { result, revision } = this.store.write((rev, events) => this.runTxn(req, rev, events));
    return { ...result, header: this.header(revision), responses: withRevision(result.responses, revision) };
  }

  private runTxn(req: TxnRequest, rev: number, events: Parameters<FakeStore['put']>[2]): TxnResponse {
    const succeeded = (req.compare ?? []).every((c) => {
      const kvs = this.store.kvsAt(this.store.revision, c);
      return kvs.length === 0 ? compareHolds(c, undefined) : kvs.every((kv) => compareHolds(c, kv));
    });
    const inner = { clusterId: 0n, memberId: 0n, raftTerm: 0 };
    const responses = (succeeded ? (req.success ?? []) : (req.failure ?? [])).map((op): ResponseOp => {
      switch (op.type) {
        case 'range':
          return { type: 'range', response: { header: { ...inner, revision: rev - 1 }, ...this.store.range(op.request) } };
        case 'put': {
          const prev = this.store.put(op.request, rev, events);
          const response = op.request.prevKv && prev ? { header: { ...inner, revision: rev }, prevKv: prev } : { header: { ...inner, revision: rev } };
          return { type: 'put', response };
        }
        case 'deleteRange': {
          const gone = this.store.deleteRange(op.request, rev, events);
          return { type: 'deleteRange', response: { header: { ...inner, revision: rev }, deleted: gone.length, prevKvs: op.request.prevKv ? gone : [] } };
        }
        case 'txn':
          return { type: 'txn', response: { ...this.runTxn(op.request, rev, events), header: { ...inner, revision: 0 } } };
      }
    });
    return { header: this.header(), succeeded, responses };
  }

  async compact(req: Parameters<KV['compact']>[0]) {
    this.check('compact');
    this.store.compact(req.revision);
    return { header: this.header() };
  }

  async leaseGrant(req: Parameters<KV['leaseGrant']>[0]) {
    this.check('leaseGrant');
    this.noSpace();
    const lease = this.store.grantLease(req.ttl, req.id);
    return { header: this.header(), id: lease.id, ttl: lease.ttl };
  }

  async leaseRevoke(req: Parameters<KV['leaseRevoke']>[0]) {
    this.check('leaseRevoke');
    return { header: this.header(this.store.revokeLease(req.id)) };
  }

  async leaseKeepAlive(req: Parameters<KV['leaseKeepAlive']>[0]) {
    this.check('leaseKeepAlive');
    return { header: this.header(), id: req.id, ttl: this.store.leases.get(req.id)?.ttl ?? 0 };
  }

  async leaseTimeToLive(req: Parameters<KV['leaseTimeToLive']>[0]) {
    this.check('leaseTimeToLive');
    const lease = this.store.leases.get(req.id);
    if (lease === undefined) return { header: this.header(), id: req.id, ttl: -1, grantedTtl: 0 };
    const keys = req.keys ? [...lease.keys].sort().map((hex) => new Uint8Array(Buffer.from(hex, 'hex'))) : [];
    return { header: this.header(), id: req.id, ttl: lease.ttl, grantedTtl: lease.ttl, keys };
  }

  async leaseLeases() {
    this.check('leaseLeases');
    return { header: this.header(), leases: [...this.store.leases.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((id) => ({ id })) };
  }

  watch(): FakeWatchStream {
    this.check('watch');
    const stream = new FakeWatchStream(this.store, (rev) => this.header(rev), (s) => this.streams.delete(s));
    this.streams.add(stream);
    return stream;
  }

  private member(id: bigint): Member {
    const m = this.members.find((x) => x.id === id);
    if (m === undefined) throw new KvError('MemberNotFound');
    return m;
  }

  async memberList() {
    this.check('memberList');
    return { header: this.clusterHeader(), members: this.members };
  }

  async memberAdd(req: Parameters<KV['memberAdd']>[0]) {
    this.check('memberAdd');
    for (const url of req.peerUrls) {
      if (!/^https?:\/\/[^/]+:\d+$/.test(url)) throw new KvError('InvalidPeerURLs');
      if (this.members.some((m) => m.peerUrls.includes(url))) throw new KvError('PeerURLExists');
    }
    const member: Member = { id: this.nextMemberId++, name: '', peerUrls: req.peerUrls, clientUrls: [], isLearner: req.isLearner ?? false };
    this.members = [...this.members, member];
    return { header: this.clusterHeader(), member, members: this.members };
  }

  async memberRemove(req: Parameters<KV['memberRemove']>[0]) {
    this.check('memberRemove');
    this.member(req.id);
    this.members = this.members.filter((m) => m.id !== req.id);
    return { header: this.clusterHeader(), members: this.members };
  }

  async memberUpdate(req: Parameters<KV['memberUpdate']>[0]) {
    this.check('memberUpdate');
    this.member(req.id);
    this.members = this.members.map((m) => (m.id === req.id ? { ...m, peerUrls: req.peerUrls } : m));
    return { header: this.clusterHeader(), members: this.members };
  }

  async memberPromote(req: Parameters<KV['memberPromote']>[0]) {
    this.check('memberPromote');
    if (!this.member(req.id).isLearner) throw new KvError('MemberNotLearner');
    this.members = this.members.map((m) => (m.id === req.id ? { ...m, isLearner: false } : m));
    return { header: this.clusterHeader(), members: this.members };
  }

  async status() {
    this.check('status');
    const errors = this.alarms.map((a) => `memberID:${a.memberId} alarm:${a.alarm} `);
    const index = this.store.revision + 10;
    return {
      header: this.header(),
      version: '3.5.0',
      dbSize: 24_576,
      leader: this.leader,
      raftIndex: index,
      raftTerm: RAFT_TERM,
      raftAppliedIndex: index,
      errors,
      dbSizeInUse: 16_384,
      isLearner: false,
    };
  }

  async hash() {
    this.check('hash');
    return { header: this.header(), hash: (this.store.revision * 2_654_435_761) >>> 0 };
  }

  async hashKV(req: Parameters<KV['hashKV']>[0]) {
    this.check('hashKV');
    const at = this.store.readRevision(req.revision);
    return { header: this.header(), hash: (at * 40_503) >>> 0, compactRevision: this.store.compacted };
  }

  async alarm(req: AlarmRequest) {
    this.check('alarm');
    const target = { memberId: req.memberId ?? 0n, alarm: req.alarm ?? 'NONE' };
    const same = (a: AlarmMember) => a.memberId === target.memberId && a.alarm === target.alarm;
    switch (req.action) {
      case 'GET':
        return { header: this.header(), alarms: this.alarms };
      case 'ACTIVATE':
        if (!this.alarms.some(same)) this.alarms = [...this.alarms, target];
        return { header: this.header(), alarms: [target] };
      case 'DEACTIVATE': {
        const found = this.alarms.filter(same);
        this.alarms = this.alarms.filter((a) => !same(a));
        return { header: this.header(), alarms: found };
      }
    }
  }

  async defragment() {
    this.check('defragment');
    return {};
  }

  async moveLeader(req: Parameters<KV['moveLeader']>[0]) {
    this.check('moveLeader');
    if (this.leader !== MEMBER_ID) throw new KvError('NotLeader');
    this.member(req.targetId);
    return {};
  }

  async snapshot(): Promise<Snapshot> {
    this.check('snapshot');
    const bytes = this.snapshotBytes;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < bytes.length; at += 10_000) yield bytes.subarray(at, at + 10_000);
    }
    return { totalBytes: bytes.length, chunks: chunks() };
  }
}
