/** The rows etcdctl's simple and table printers share (printer.go's make*Table). */
import type * as api from '../../api/kv.js';
import type { EpHashKV, EpHealth, EpStatus } from './printer.js';
import { hexId, humanizeBytes } from './format.js';

export type Table = { header: string[]; rows: string[][] };

export function memberListTable(r: api.MemberListResponse): Table {
  return {
    header: ['ID', 'Status', 'Name', 'Peer Addrs', 'Client Addrs', 'Is Learner'],
    rows: r.members.map((m) => [
      hexId(m.id),
      m.name === '' ? 'unstarted' : 'started',
      m.name,
      m.peerUrls.join(','),
      m.clientUrls.join(','),
      String(m.isLearner === true),
    ]),
  };
}

export function endpointHealthTable(list: readonly EpHealth[]): Table {
  return { header: ['endpoint', 'health', 'took', 'error'], rows: list.map((h) => [h.ep, String(h.health), h.took, h.error ?? '']) };
}

export function endpointStatusTable(list: readonly EpStatus[]): Table {
  return {
    header: ['endpoint', 'ID', 'version', 'db size', 'is leader', 'is learner', 'raft term', 'raft index', 'raft applied index', 'errors'],
    rows: list.map(({ ep, resp }) => [
      ep,
      hexId(resp.header.memberId),
      resp.version,
      humanizeBytes(resp.dbSize),
      String(resp.leader === resp.header.memberId),
      String(resp.isLearner),
      String(resp.raftTerm),
      String(resp.raftIndex),
      String(resp.raftAppliedIndex),
      resp.errors.join(', '),
    ]),
  };
}

export function endpointHashKVTable(list: readonly EpHashKV[]): Table {
  return { header: ['endpoint', 'hash'], rows: list.map((h) => [h.ep, String(h.resp.hash)]) };
}

/** Proto text form of an alarm, as Go's `%+v` prints it: `memberID:N alarm:NOSPACE `. */
export const alarmText = (a: api.AlarmMember): string => `memberID:${a.memberId} alarm:${a.alarm} `;
