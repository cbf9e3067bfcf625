/**
 * A KeyValue as etcd's gateway prints it, written out by hand: the descriptor-driven encoder
 * (encode.ts) checks each field's type and zero value on every call, which was a third of the
 * JSON cost of a whole range of 100k keys. The text is exactly `encodeWire(KeyValueDesc, kv)`'s
 * (test/api/key-value-json.test.ts holds them together): fields in number order, zero values
 * left out, int64 as decimal strings, bytes as padded base64.
 */
import type { KeyValue } from '../kv-types.js';
import { encodeBase64 } from './base64.js';

export function encodeKeyValueJson(kv: KeyValue): string {
  let out = kv.key.length === 0 ? '' : `,"key":"${encodeBase64(kv.key)}"`;
  if (kv.createRevision !== 0) out += `,"create_revision":"${kv.createRevision}"`;
  if (kv.modRevision !== 0) out += `,"mod_revision":"${kv.modRevision}"`;
  if (kv.version !== 0) out += `,"version":"${kv.version}"`;
  if (kv.value.length !== 0) out += `,"value":"${encodeBase64(kv.value)}"`;
  // Number(): callers built before leases became bigints still pass a plain 0.
  if (Number(kv.lease) !== 0) out += `,"lease":"${kv.lease}"`;
  return `{${out.slice(1)}}`;
}
