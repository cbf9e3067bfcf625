/** Descriptors of etcd's maintenance messages (rpc.proto §Maintenance). */
import type {
  AlarmRequest,
  AlarmResponse,
  DefragmentResponse,
  HashKVRequest,
  HashKVResponse,
  HashResponse,
  MoveLeaderRequest,
  MoveLeaderResponse,
  SnapshotChunk,
  StatusResponse,
} from '../maintenance-types.js';
import { enumDesc, field, message } from './descriptor.js';
import { must, ResponseHeaderDesc } from './messages-kv.js';

const header = () => ResponseHeaderDesc;

/** Requests with no fields (Status, Hash, Defragment, Snapshot, LeaseLeases). */
export const EmptyDesc = message<Record<string, never>>('etcdserverpb.Empty', []);

const AlarmType = enumDesc('etcdserverpb.AlarmType', ['NONE', 'NOSPACE', 'CORRUPT']);

export const AlarmRequestDesc = message<AlarmRequest>('etcdserverpb.AlarmRequest', [
  must(1, 'action', enumDesc('etcdserverpb.AlarmRequest_AlarmAction', ['GET', 'ACTIVATE', 'DEACTIVATE'])),
  field(2, 'memberID', 'uint64', { id: true }),
  field(3, 'alarm', AlarmType),
]);

const AlarmMemberDesc = message('etcdserverpb.AlarmMember', [must(1, 'memberID', 'uint64', { id: true }), must(2, 'alarm', AlarmType)]);

export const AlarmResponseDesc = message<AlarmResponse>('etcdserverpb.AlarmResponse', [
  field(1, 'header', header),
  must(2, 'alarms', () => AlarmMemberDesc, { repeated: true }),
]);

export const StatusResponseDesc = message<StatusResponse>('etcdserverpb.StatusResponse', [
  must(1, 'header', header),
  must(2, 'version', 'string'),
  must(3, 'dbSize', 'int64'),
  must(4, 'leader', 'uint64', { id: true }),
  must(5, 'raftIndex', 'uint64'),
  must(6, 'raftTerm', 'uint64'),
  must(7, 'raftAppliedIndex', 'uint64'),
  must(8, 'errors', 'string', { repeated: true }),
  must(9, 'dbSizeInUse', 'int64'),
  must(10, 'isLearner', 'bool'),
]);

export const HashResponseDesc = message<HashResponse>('etcdserverpb.HashResponse', [
  must(1, 'header', header),
  must(2, 'hash', 'uint32'),
]);

export const HashKVRequestDesc = message<HashKVRequest>('etcdserverpb.HashKVRequest', [field(1, 'revision', 'int64')]);

export const HashKVResponseDesc = message<HashKVResponse>('etcdserverpb.HashKVResponse', [
  must(1, 'header', header),
  must(2, 'hash', 'uint32'),
  must(3, 'compact_revision', 'int64'),
]);

export const DefragmentResponseDesc = message<DefragmentResponse>('etcdserverpb.DefragmentResponse', [
  field(1, 'header', header),
]);

export const MoveLeaderRequestDesc = message<MoveLeaderRequest>('etcdserverpb.MoveLeaderRequest', [
  must(1, 'targetID', 'uint64', { id: true }),
]);

export const MoveLeaderResponseDesc = message<MoveLeaderResponse>('etcdserverpb.MoveLeaderResponse', [
  field(1, 'header', header),
]);

export const SnapshotChunkDesc = message<SnapshotChunk>('etcdserverpb.SnapshotResponse', [
  field(1, 'header', header),
  must(2, 'remaining_bytes', 'uint64'),
  must(3, 'blob', 'bytes'),
]);
