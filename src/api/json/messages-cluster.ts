/** Descriptors of etcd's cluster messages (rpc.proto §Cluster). */
import type {
  Member,
  MemberAddRequest,
  MemberAddResponse,
  MemberListRequest,
  MemberListResponse,
  MemberPromoteRequest,
  MemberRemoveRequest,
  MemberUpdateRequest,
} from '../cluster-types.js';
import { field, message } from './descriptor.js';
import { must, ResponseHeaderDesc } from './messages-kv.js';

const header = () => ResponseHeaderDesc;

export const MemberDesc = message<Member>('etcdserverpb.Member', [
  must(1, 'ID', 'uint64', { id: true }),
  must(2, 'name', 'string'),
  must(3, 'peerURLs', 'string', { repeated: true }),
  must(4, 'clientURLs', 'string', { repeated: true }),
  field(5, 'isLearner', 'bool'),
]);
const member = () => MemberDesc;

export const MemberListRequestDesc = message<MemberListRequest>('etcdserverpb.MemberListRequest', [
  field(1, 'linearizable', 'bool'),
]);

export const MemberListResponseDesc = message<MemberListResponse>('etcdserverpb.MemberListResponse', [
  must(1, 'header', header),
  must(2, 'members', member, { repeated: true }),
]);

export const MemberAddRequestDesc = message<MemberAddRequest>('etcdserverpb.MemberAddRequest', [
  must(1, 'peerURLs', 'string', { repeated: true }),
  field(2, 'isLearner', 'bool'),
]);

export const MemberAddResponseDesc = message<MemberAddResponse>('etcdserverpb.MemberAddResponse', [
  must(1, 'header', header),
  must(2, 'member', member),
  must(3, 'members', member, { repeated: true }),
]);

export const MemberRemoveRequestDesc = message<MemberRemoveRequest>('etcdserverpb.MemberRemoveRequest', [
  must(1, 'ID', 'uint64', { id: true }),
]);

export const MemberUpdateRequestDesc = message<MemberUpdateRequest>('etcdserverpb.MemberUpdateRequest', [
  must(1, 'ID', 'uint64', { id: true }),
  must(2, 'peerURLs', 'string', { repeated: true }),
]);

export const MemberPromoteRequestDesc = message<MemberPromoteRequest>('etcdserverpb.MemberPromoteRequest', [
  must(1, 'ID', 'uint64', { id: true }),
]);

/** Remove, update and promote responses share the list response's shape and field numbers. */
export const MemberRemoveResponseDesc = message<MemberListResponse>('etcdserverpb.MemberRemoveResponse', MemberListResponseDesc.fields);
