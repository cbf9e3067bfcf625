/**
 * Request size limits, as etcd applies them (etcd-gateway.md §5.3, §8). etcd measures protobuf
 * bytes: gRPC refuses a message above max-request-bytes + 512 KiB (429, code 8), and the server
 * refuses a raft proposal above max-request-bytes (400, code 3). JSON is bigger than protobuf
 * (base64 is 4/3, names and quotes add more), so the raw body gets its own, looser cap that only
 * keeps memory bounded.
 */
import { varintSize } from '../api/json/proto-size.js';

export const DEFAULT_MAX_REQUEST_BYTES = 1_572_864;
/** gRPC's receive limit is etcd's max-request-bytes plus this (embed/serve.go). */
export const GRPC_OVERHEAD_BYTES = 512 * 1024;

export interface Limits {
  /** --max-request-bytes: the largest raft proposal. */
  readonly maxRequestBytes: number;
  /** gRPC's receive limit: the largest request message. */
  readonly grpcMessageBytes: number;
  /** The largest raw HTTP body (or one streamed JSON message) read at all. */
  readonly rawBodyBytes: number;
}

export function limitsFor(maxRequestBytes: number): Limits {
  const grpcMessageBytes = maxRequestBytes + GRPC_OVERHEAD_BYTES;
  return { maxRequestBytes, grpcMessageBytes, rawBodyBytes: 4 * grpcMessageBytes };
}

/**
 * etcd wraps a proposal in an InternalRaftRequest: its ID (field 1), a RequestHeader (field 100,
 * holding the ID again) and the request (one field). IDs use up to 10 varint bytes.
 */
export function raftRequestSize(requestBytes: number): number {
  const id = 1 + 10;
  const header = 2 + 1 + id;
  return id + header + 1 + varintSize(requestBytes) + requestBytes;
}
