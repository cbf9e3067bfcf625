/** Descriptors of etcd's lease messages (rpc.proto §Lease). Wire names `ID`, `TTL` are etcd's. */
import type {
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseLeasesResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
} from '../lease-types.js';
import { field, message } from './descriptor.js';
import { must, ResponseHeaderDesc } from './messages-kv.js';

const header = () => ResponseHeaderDesc;

export const LeaseGrantRequestDesc = message<LeaseGrantRequest>('etcdserverpb.LeaseGrantRequest', [
  must(1, 'TTL', 'int64'),
  field(2, 'ID', 'int64', { id: true }),
]);

export const LeaseGrantResponseDesc = message<LeaseGrantResponse>('etcdserverpb.LeaseGrantResponse', [
  must(1, 'header', header),
  must(2, 'ID', 'int64', { id: true }),
  must(3, 'TTL', 'int64'),
  field(4, 'error', 'string'),
]);

export const LeaseRevokeRequestDesc = message<LeaseRevokeRequest>('etcdserverpb.LeaseRevokeRequest', [
  must(1, 'ID', 'int64', { id: true }),
]);

export const LeaseRevokeResponseDesc = message<LeaseRevokeResponse>('etcdserverpb.LeaseRevokeResponse', [
  must(1, 'header', header),
]);

export const LeaseKeepAliveRequestDesc = message<LeaseKeepAliveRequest>('etcdserverpb.LeaseKeepAliveRequest', [
  must(1, 'ID', 'int64', { id: true }),
]);

export const LeaseKeepAliveResponseDesc = message<LeaseKeepAliveResponse>('etcdserverpb.LeaseKeepAliveResponse', [
  must(1, 'header', header),
  must(2, 'ID', 'int64', { id: true }),
  must(3, 'TTL', 'int64'),
]);

export const LeaseTimeToLiveRequestDesc = message<LeaseTimeToLiveRequest>('etcdserverpb.LeaseTimeToLiveRequest', [
  must(1, 'ID', 'int64', { id: true }),
  field(2, 'keys', 'bool'),
]);

export const LeaseTimeToLiveResponseDesc = message<LeaseTimeToLiveResponse>('etcdserverpb.LeaseTimeToLiveResponse', [
  must(1, 'header', header),
  must(2, 'ID', 'int64', { id: true }),
  must(3, 'TTL', 'int64'),
  must(4, 'grantedTTL', 'int64'),
  field(5, 'keys', 'bytes', { repeated: true }),
]);

export const LeaseLeasesRequestDesc = message<Record<string, never>>('etcdserverpb.LeaseLeasesRequest', []);

const LeaseStatusDesc = message('etcdserverpb.LeaseStatus', [must(1, 'ID', 'int64', { id: true })]);

export const LeaseLeasesResponseDesc = message<LeaseLeasesResponse>('etcdserverpb.LeaseLeasesResponse', [
  must(1, 'header', header),
  must(2, 'leases', () => LeaseStatusDesc, { repeated: true }),
]);
