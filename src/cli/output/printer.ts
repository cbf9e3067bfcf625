/**
 * etcdctl's printer interface: one method per kind of answer, one implementation per
 * `--write-out` format (simple, json, fields, table). A format that cannot show an answer
 * fails with etcdctl's "<format> not supported as output format".
 */
import type * as api from '../../api/kv.js';
import { CliError, ExitCode } from '../commands/cli-error.js';

/** Where a command writes; `out`/`err` take whole lines or fragments (newlines included). */
export interface Sink {
  out(text: string): void;
  err(text: string): void;
}

export interface EpHealth {
  readonly ep: string;
  readonly health: boolean;
  /** Go duration text of the health probe, e.g. `1.2345ms`. */
  readonly took: string;
  readonly error?: string;
}

export interface EpStatus {
  readonly ep: string;
  readonly resp: api.StatusResponse;
}

export interface EpHashKV {
  readonly ep: string;
  readonly resp: api.HashKVResponse;
}

export interface Printer {
  del(r: api.DeleteRangeResponse): void;
  get(r: api.RangeResponse): void;
  put(r: api.PutResponse): void;
  txn(r: api.TxnResponse): void;
  watch(r: api.WatchResponse): void;

  grant(r: api.LeaseGrantResponse): void;
  revoke(id: bigint, r: api.LeaseRevokeResponse): void;
  keepAlive(r: api.LeaseKeepAliveResponse): void;
  timeToLive(r: api.LeaseTimeToLiveResponse, keys: boolean): void;
  leases(r: api.LeaseLeasesResponse): void;

  memberAdd(r: api.MemberAddResponse): void;
  memberRemove(id: bigint, r: api.MemberRemoveResponse): void;
  memberUpdate(id: bigint, r: api.MemberUpdateResponse): void;
  memberPromote(id: bigint, r: api.MemberPromoteResponse): void;
  memberList(r: api.MemberListResponse): void;

  endpointHealth(r: readonly EpHealth[]): void;
  endpointStatus(r: readonly EpStatus[]): void;
  endpointHashKV(r: readonly EpHashKV[]): void;
  moveLeader(leader: bigint, target: bigint, r: api.MoveLeaderResponse): void;
  alarm(r: api.AlarmResponse): void;
}

export type OutputFormat = 'simple' | 'json' | 'fields' | 'table';

export const unsupportedFormat = (format: string): CliError => new CliError(`${format} not supported as output format`, ExitCode.BadFeature);

/** A printer whose every method refuses; real printers override what they can show. */
export class UnsupportedPrinter implements Printer {
  constructor(protected readonly format: string) {}
  private fail(): never {
    throw unsupportedFormat(this.format);
  }
  del(_r: api.DeleteRangeResponse): void { this.fail(); }
  get(_r: api.RangeResponse): void { this.fail(); }
  put(_r: api.PutResponse): void { this.fail(); }
  txn(_r: api.TxnResponse): void { this.fail(); }
  watch(_r: api.WatchResponse): void { this.fail(); }
  grant(_r: api.LeaseGrantResponse): void { this.fail(); }
  revoke(_id: bigint, _r: api.LeaseRevokeResponse): void { this.fail(); }
  keepAlive(_r: api.LeaseKeepAliveResponse): void { this.fail(); }
  timeToLive(_r: api.LeaseTimeToLiveResponse, _keys: boolean): void { this.fail(); }
  leases(_r: api.LeaseLeasesResponse): void { this.fail(); }
  memberAdd(_r: api.MemberAddResponse): void { this.fail(); }
  memberRemove(_id: bigint, _r: api.MemberRemoveResponse): void { this.fail(); }
  memberUpdate(_id: bigint, _r: api.MemberUpdateResponse): void { this.fail(); }
  memberPromote(_id: bigint, _r: api.MemberPromoteResponse): void { this.fail(); }
  memberList(_r: api.MemberListResponse): void { this.fail(); }
  endpointHealth(_r: readonly EpHealth[]): void { this.fail(); }
  endpointStatus(_r: readonly EpStatus[]): void { this.fail(); }
  endpointHashKV(_r: readonly EpHashKV[]): void { this.fail(); }
  moveLeader(_leader: bigint, _target: bigint, _r: api.MoveLeaderResponse): void { this.fail(); }
  alarm(_r: api.AlarmResponse): void { this.fail(); }
}
