/**
 * The protobuf size of a range response, counted as its values are read, and the bound on it
 * (`--max-response-bytes`, issue 15: a full range of 100k keys peaked at 637 MB). gRPC refuses
 * to send a message above its limit with ResourceExhausted "grpc: trying to send message larger
 * than max (N vs. M)"; etcd sets that limit to 2 GiB, cairn to a size a member holds easily.
 */
import { KvError } from '../util/errors.js';
import type { KeyValue } from './types.js';

/**
 * What a range may hold, and where what it holds is charged: a member-wide budget of memory
 * (protobuf bytes plus KV_HELD_OVERHEAD_BYTES per key; may wait).
 */
export interface RangeLimits {
  readonly maxResponseBytes: number;
  charge?(bytes: number): Promise<void>;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

const intField = (n: number): number => (n === 0 ? 0 : 1 + varintSize(n));
const bytesField = (len: number): number => (len === 0 ? 0 : 1 + varintSize(len) + len);

/** One KeyValue as an element of RangeResponse.kvs: tag, length and the message. */
export function kvFieldSize(kv: KeyValue, keysOnly: boolean): number {
  const inner =
    bytesField(kv.key.length) +
    intField(kv.createRevision) +
    intField(kv.modRevision) +
    intField(kv.version) +
    bytesField(keysOnly ? 0 : kv.value.length) +
    intField(kv.lease);
  return 1 + varintSize(inner) + inner;
}

/**
 * What one value read costs the member beyond its protobuf bytes while a response is held: the
 * KeyValue object and its key and value views. Measured: a range of 100k 200-byte values held
 * 22 MiB of protobuf bytes and 63 MiB of heap and buffers, about 420 bytes more per key.
 */
export const KV_HELD_OVERHEAD_BYTES = 420;

/** One index entry (RangeEntry and its array slot) held while the range runs. */
export const INDEX_ENTRY_HELD_BYTES = 100;

/** The header at its largest (four 10-byte varints), `more` and `count`. */
export function rangeResponseSize(kvsBytes: number, count: number, more: boolean): number {
  const header = 2 + 4 * 11;
  return header + kvsBytes + (more ? 2 : 0) + intField(count);
}

/** gRPC's ResourceExhausted for a response above the limit; `size` is what it reached (at least). */
export class ResponseTooLargeError extends KvError {
  constructor(readonly size: number, readonly limit: number) {
    super('ResponseTooLarge', `grpc: trying to send message larger than max (${size} vs. ${limit})`);
  }
}

export function responseTooLarge(size: number, limit: number): KvError {
  return new ResponseTooLargeError(size, limit);
}
