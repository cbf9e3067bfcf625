/** etcdctl's default `simple` output (printer_simple.go), line for line. */
import type * as api from '../../api/kv.js';
import { assertNever } from '../../util/assert.js';
import { fromUtf8 } from '../../util/bytes.js';
import { goList, hexEscaped, hexId, hexId16, hexIdPadded } from './format.js';
import type { EpHashKV, EpHealth, EpStatus, Printer, Sink } from './printer.js';
import { alarmText, endpointHashKVTable, endpointStatusTable, memberListTable } from './rows.js';

export interface SimpleOptions {
  readonly hex: boolean;
  /** `get --print-value-only`: values without their keys. */
  readonly valueOnly: boolean;
}

export class SimplePrinter implements Printer {
  constructor(
    private readonly sink: Sink,
    private readonly o: SimpleOptions,
  ) {}

  private line(text: string): void {
    this.sink.out(`${text}\n`);
  }

  private bytes(b: Uint8Array): string {
    return this.o.hex ? hexEscaped(b) : fromUtf8(b);
  }

  /** printKV: the key line (unless value-only), then the value line (empty for keys-only). */
  private kv(kv: api.KeyValue): void {
    if (!this.o.valueOnly) this.line(this.bytes(kv.key));
    this.line(this.bytes(kv.value));
  }

  del(r: api.DeleteRangeResponse): void {
    this.line(String(r.deleted));
    for (const kv of r.prevKvs ?? []) this.kv(kv);
  }
  get(r: api.RangeResponse): void {
    for (const kv of r.kvs) this.kv(kv);
  }
  put(r: api.PutResponse): void {
    this.line('OK');
    if (r.prevKv !== undefined) this.kv(r.prevKv);
  }
  txn(r: api.TxnResponse): void {
    this.line(r.succeeded ? 'SUCCESS' : 'FAILURE');
    for (const op of r.responses) {
      this.line('');
      switch (op.type) {
        case 'deleteRange': this.del(op.response); break;
        case 'put': this.put(op.response); break;
        case 'range': this.get(op.response); break;
        case 'txn': this.line(`unexpected response ${JSON.stringify({ succeeded: op.response.succeeded })}`); break;
        default: assertNever(op);
      }
    }
  }
  watch(r: api.WatchResponse): void {
    for (const e of r.events ?? []) {
      this.line(e.type);
      if (e.prevKv !== undefined) this.kv(e.prevKv);
      this.kv(e.kv);
    }
  }

  grant(r: api.LeaseGrantResponse): void {
    this.line(`lease ${hexId16(r.id)} granted with TTL(${r.ttl}s)`);
  }
  revoke(id: bigint): void {
    this.line(`lease ${hexId16(id)} revoked`);
  }
  keepAlive(r: api.LeaseKeepAliveResponse): void {
    this.line(`lease ${hexId16(r.id)} keepalived with TTL(${r.ttl})`);
  }
  timeToLive(r: api.LeaseTimeToLiveResponse, keys: boolean): void {
    if (r.grantedTtl === 0 && r.ttl === -1) {
      this.line(`lease ${hexId16(r.id)} already expired`);
      return;
    }
    let text = `lease ${hexId16(r.id)} granted with TTL(${r.grantedTtl}s), remaining(${r.ttl}s)`;
    if (keys) text += `, attached keys(${goList((r.keys ?? []).map(fromUtf8))})`;
    this.line(text);
  }
  leases(r: api.LeaseLeasesResponse): void {
    this.line(`found ${r.leases.length} leases`);
    for (const l of r.leases) this.line(hexId16(l.id));
  }

  memberAdd(r: api.MemberAddResponse): void {
    const asLearner = r.member.isLearner === true ? ' as learner ' : ' ';
    this.line(`Member ${hexIdPadded(r.member.id)} added${asLearner}to cluster ${hexIdPadded(r.header.clusterId)}`);
  }
  memberRemove(id: bigint, r: api.MemberRemoveResponse): void {
    this.line(`Member ${hexIdPadded(id)} removed from cluster ${hexIdPadded(r.header.clusterId)}`);
  }
  memberUpdate(id: bigint, r: api.MemberUpdateResponse): void {
    this.line(`Member ${hexIdPadded(id)} updated in cluster ${hexIdPadded(r.header.clusterId)}`);
  }
  memberPromote(id: bigint, r: api.MemberPromoteResponse): void {
    this.line(`Member ${hexIdPadded(id)} promoted in cluster ${hexIdPadded(r.header.clusterId)}`);
  }
  memberList(r: api.MemberListResponse): void {
    for (const row of memberListTable(r).rows) this.line(row.join(', '));
  }

  /** etcdctl prints health verdicts on stderr, one per endpoint. */
  endpointHealth(list: readonly EpHealth[]): void {
    for (const h of list) {
      if (h.error === undefined) this.sink.err(`${h.ep} is healthy: successfully committed proposal: took = ${h.took}\n`);
      else this.sink.err(`${h.ep} is unhealthy: failed to commit proposal: ${h.error}\n`);
    }
  }
  endpointStatus(list: readonly EpStatus[]): void {
    for (const row of endpointStatusTable(list).rows) this.line(row.join(', '));
  }
  endpointHashKV(list: readonly EpHashKV[]): void {
    for (const row of endpointHashKVTable(list).rows) this.line(row.join(', '));
  }
  moveLeader(leader: bigint, target: bigint): void {
    this.line(`Leadership transferred from ${hexId(leader)} to ${hexId(target)}`);
  }
  alarm(r: api.AlarmResponse): void {
    for (const a of r.alarms) this.line(alarmText(a));
  }
}
