/** Lease request and response types (etcd-gateway.md §2.4, §7). TTLs are whole seconds. */
import type { ResponseHeader } from './kv-types.js';

export interface LeaseGrantRequest {
  readonly ttl: number;
  /** 0/absent: the server picks a positive ID. */
  readonly id?: bigint;
}

export interface LeaseGrantResponse {
  readonly header: ResponseHeader;
  readonly id: bigint;
  /** The granted TTL (raised to the minimum TTL). */
  readonly ttl: number;
  /** Unused by etcd; kept for wire compatibility. */
  readonly error?: string;
}

export interface LeaseRevokeRequest {
  readonly id: bigint;
}

export interface LeaseRevokeResponse {
  readonly header: ResponseHeader;
}

export interface LeaseKeepAliveRequest {
  readonly id: bigint;
}

export interface LeaseKeepAliveResponse {
  readonly header: ResponseHeader;
  readonly id: bigint;
  /** The granted TTL after renewal; 0 when the lease is unknown or expired (not an error). */
  readonly ttl: number;
}

export interface LeaseTimeToLiveRequest {
  readonly id: bigint;
  readonly keys?: boolean;
}

export interface LeaseTimeToLiveResponse {
  readonly header: ResponseHeader;
  readonly id: bigint;
  /** Remaining seconds; -1 when the lease is unknown or expired. */
  readonly ttl: number;
  readonly grantedTtl: number;
  readonly keys?: readonly Uint8Array[];
}

export interface LeaseStatus {
  readonly id: bigint;
}

export interface LeaseLeasesResponse {
  readonly header: ResponseHeader;
  readonly leases: readonly LeaseStatus[];
}
