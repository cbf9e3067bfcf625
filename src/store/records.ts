/**
 * The value stored under a revision key in the key bucket: a msgpack array of the KeyValue
 * (etcd stores the marshalled mvccpb.KeyValue). A tombstone stores the key and the delete's
 * revision only. Records are checked on read-back: a malformed one is a StorageCorrupt error.
 * The encoding is deterministic, so members holding the same history hash the same (hash.ts).
 */
import { Packr } from 'msgpackr';
import type { KeyValue } from './types.js';
import { KvError } from '../util/errors.js';
import { decodeRecordFast } from './record-fast-decode.js';

const packr = new Packr({ useRecords: false });
const EMPTY = new Uint8Array(0);

export function encodeRecord(kv: KeyValue): Uint8Array {
  return packr.pack([kv.key, kv.createRevision, kv.modRevision, kv.version, kv.value, kv.lease]);
}

export function tombstoneKv(key: Uint8Array, modRevision: number): KeyValue {
  return { key, createRevision: 0, modRevision, version: 0, value: EMPTY, lease: 0 };
}

function isInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n);
}

/** Decodes a record into fresh copies the caller may keep (key and value share one new buffer). */
export function decodeRecord(bytes: Uint8Array): KeyValue {
  const fast = decodeRecordFast(bytes);
  if (fast !== undefined) return fast;
  const kv = decodeRecordShared(bytes);
  const both = new Uint8Array(kv.key.length + kv.value.length);
  both.set(kv.key, 0);
  both.set(kv.value, kv.key.length);
  return { ...kv, key: both.subarray(0, kv.key.length), value: both.subarray(kv.key.length) };
}

/**
 * Decodes a record whose key and value may share memory with `bytes`: for the store's own
 * passes over the key bucket (open, compaction, hash), which keep nothing but numbers and keys
 * they convert.
 */
export function decodeRecordShared(bytes: Uint8Array): KeyValue {
  let r: unknown;
  try {
    r = packr.unpack(bytes);
  } catch (err) {
    throw new KvError('StorageCorrupt', `cairn: key bucket record does not decode: ${(err as Error).message}`);
  }
  if (
    !Array.isArray(r) ||
    r.length !== 6 ||
    !(r[0] instanceof Uint8Array) ||
    !isInt(r[1]) ||
    !isInt(r[2]) ||
    !isInt(r[3]) ||
    !(r[4] instanceof Uint8Array) ||
    !isInt(r[5])
  ) {
    throw new KvError('StorageCorrupt', 'cairn: key bucket record is malformed');
  }
  return { key: r[0], createRevision: r[1], modRevision: r[2], version: r[3], value: r[4], lease: r[5] };
}
