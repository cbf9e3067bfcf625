/** `-w table`: etcdctl draws tables only for member list and the endpoint commands. */
import type * as api from '../../api/kv.js';
import { UnsupportedPrinter, type EpHashKV, type EpHealth, type EpStatus, type Sink } from './printer.js';
import { endpointHashKVTable, endpointHealthTable, endpointStatusTable, memberListTable, type Table } from './rows.js';
import { renderTable } from './table.js';

export class TablePrinter extends UnsupportedPrinter {
  constructor(private readonly sink: Sink) {
    super('table');
  }
  private render(t: Table): void {
    this.sink.out(renderTable(t.header, t.rows));
  }
  override memberList(r: api.MemberListResponse): void { this.render(memberListTable(r)); }
  override endpointHealth(list: readonly EpHealth[]): void { this.render(endpointHealthTable(list)); }
  override endpointStatus(list: readonly EpStatus[]): void { this.render(endpointStatusTable(list)); }
  override endpointHashKV(list: readonly EpHashKV[]): void { this.render(endpointHashKVTable(list)); }
}
