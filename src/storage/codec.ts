/**
 * Stored records: a 4-byte big-endian CRC-32C, then a msgpack body. The CRC covers the record's
 * key and body, so a value that lands under the wrong key is caught like a flipped bit
 * (LevelDB's own block checksums cover its files, not our semantics: raft-pitfalls.md §5.3).
 */
import { Packr } from 'msgpackr';
import type { ConfState, Entry, EntryType, HardState, SnapshotMetadata } from '../raft/types.js';
import { crc32c } from '../util/crc.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });
const CRC_BYTES = 4;

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

function fail<T>(problem: string): Decoded<T> {
  return { ok: false, problem };
}

export function encodeRecord(key: Uint8Array, body: unknown): Uint8Array {
  const packed = packr.pack(body);
  const out = new Uint8Array(CRC_BYTES + packed.length);
  out.set(packed, CRC_BYTES);
  new DataView(out.buffer).setUint32(0, crc32c(packed, crc32c(key)));
  return out;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** Checks the CRC and unpacks the body; never throws. */
export function decodeRecord(key: Uint8Array, stored: Uint8Array): Decoded<unknown> {
  if (stored.length <= CRC_BYTES) return fail(`truncated record (${stored.length} bytes)`);
  const body = stored.subarray(CRC_BYTES);
  const expected = new DataView(stored.buffer, stored.byteOffset, CRC_BYTES).getUint32(0);
  const actual = crc32c(body, crc32c(key));
  if (expected !== actual) return fail(`crc mismatch (stored ${hex(expected)}, computed ${hex(actual)})`);
  try {
    return { ok: true, value: packr.unpack(body) as unknown };
  } catch (err) {
    return fail(`body does not decode: ${(err as Error).message}`);
  }
}

/** A backend value: the CRC (over key and value), then the caller's bytes unchanged. */
export function sealValue(key: Uint8Array, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(CRC_BYTES + value.length);
  out.set(value, CRC_BYTES);
  new DataView(out.buffer).setUint32(0, crc32c(value, crc32c(key)));
  return out;
}

export function openValue(key: Uint8Array, stored: Uint8Array): Decoded<Uint8Array> {
  if (stored.length < CRC_BYTES) return fail(`truncated record (${stored.length} bytes)`);
  const value = stored.subarray(CRC_BYTES);
  const expected = new DataView(stored.buffer, stored.byteOffset, CRC_BYTES).getUint32(0);
  const actual = crc32c(value, crc32c(key));
  return expected === actual ? { ok: true, value } : fail(`crc mismatch (stored ${hex(expected)}, computed ${hex(actual)})`);
}

function isIndex(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

const ENTRY_TYPES: readonly EntryType[] = ['normal', 'confChange', 'confChangeV2'];

export function encodeEntry(key: Uint8Array, entry: Entry): Uint8Array {
  return encodeRecord(key, [entry.term, ENTRY_TYPES.indexOf(entry.type), entry.data]);
}

export function decodeEntry(key: Uint8Array, index: number, stored: Uint8Array): Decoded<Entry> {
  const rec = decodeRecord(key, stored);
  if (!rec.ok) return rec;
  const v = rec.value;
  if (!Array.isArray(v) || v.length !== 3 || !isIndex(v[0]) || !(v[2] instanceof Uint8Array)) {
    return fail('malformed entry record');
  }
  const type = ENTRY_TYPES[v[1] as number];
  if (type === undefined) return fail(`unknown entry type ${String(v[1])}`);
  return { ok: true, value: { index, term: v[0], type, data: v[2] } };
}

export function encodeHardState(key: Uint8Array, hs: HardState): Uint8Array {
  return encodeRecord(key, [hs.term, hs.vote, hs.commit]);
}

export function decodeHardState(key: Uint8Array, stored: Uint8Array): Decoded<HardState> {
  const rec = decodeRecord(key, stored);
  if (!rec.ok) return rec;
  const v = rec.value;
  if (!Array.isArray(v) || v.length !== 3 || !v.every(isIndex)) return fail('malformed hard state record');
  return { ok: true, value: { term: v[0] as number, vote: v[1] as number, commit: v[2] as number } };
}

function isIdList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every(isIndex);
}

export function encodeSnapshotMeta(key: Uint8Array, meta: SnapshotMetadata): Uint8Array {
  const cs = meta.confState;
  return encodeRecord(key, [meta.index, meta.term, cs.voters, cs.learners, cs.votersOutgoing, cs.learnersNext, cs.autoLeave]);
}

export function decodeSnapshotMeta(key: Uint8Array, stored: Uint8Array): Decoded<SnapshotMetadata> {
  const rec = decodeRecord(key, stored);
  if (!rec.ok) return rec;
  const v = rec.value;
  if (
    !Array.isArray(v) ||
    v.length !== 7 ||
    !isIndex(v[0]) ||
    !isIndex(v[1]) ||
    !isIdList(v[2]) ||
    !isIdList(v[3]) ||
    !isIdList(v[4]) ||
    !isIdList(v[5]) ||
    typeof v[6] !== 'boolean'
  ) {
    return fail('malformed snapshot metadata record');
  }
  const confState: ConfState = { voters: v[2], learners: v[3], votersOutgoing: v[4], learnersNext: v[5], autoLeave: v[6] };
  return { ok: true, value: { index: v[0], term: v[1], confState } };
}

export function encodeIndex(key: Uint8Array, index: number): Uint8Array {
  return encodeRecord(key, index);
}

export function decodeIndex(key: Uint8Array, stored: Uint8Array): Decoded<number> {
  const rec = decodeRecord(key, stored);
  if (!rec.ok) return rec;
  return isIndex(rec.value) ? { ok: true, value: rec.value } : fail('malformed index record');
}
