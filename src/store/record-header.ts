/**
 * The numbers and key of a key-bucket record, read in place without decoding its value: for open's
 * index rebuild, which reads a million records and keeps neither the record nor its value. A full
 * msgpack decode allocated the array, the key and the value for each (~0.7 µs and their GC).
 *
 * Only the exact shapes `encodeRecord` writes are read here (a fixarray of 6: bin key, four
 * non-negative integers as msgpackr writes them, bin value); anything else, malformed or merely
 * unusual, goes through `decodeRecordShared`, which decides, so the two readers cannot disagree
 * on what is valid (key-index-rebuild tests check they give equal answers).
 */
import { decodeRecordShared } from './records.js';
import { indexKey } from './tree-index.js';

/** The record's key as the index holds it (latin1, one char per byte), and its numbers. Reused between records. */
export interface RecordHeader {
  key: string;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: number;
}

export function newRecordHeader(): RecordHeader {
  return { key: '', createRevision: 0, modRevision: 0, version: 0, lease: 0 };
}

const TWO_32 = 0x1_0000_0000;
/** Set by the readers below when the bytes are not a shape they read. */
let odd = false;
let pos = 0;

function readUint(b: Uint8Array): number {
  const t = b[pos++] as number;
  if (t <= 0x7f) return t;
  if (t === 0xcc) return b[pos++] as number;
  if (t === 0xcd) {
    const n = ((b[pos] as number) << 8) | (b[pos + 1] as number);
    pos += 2;
    return n;
  }
  if (t === 0xce) {
    const n = (b[pos] as number) * 0x100_0000 + (((b[pos + 1] as number) << 16) | ((b[pos + 2] as number) << 8) | (b[pos + 3] as number));
    pos += 4;
    return n;
  }
  if (t === 0xcf) {
    const high = (b[pos] as number) * 0x100_0000 + (((b[pos + 1] as number) << 16) | ((b[pos + 2] as number) << 8) | (b[pos + 3] as number));
    const low = (b[pos + 4] as number) * 0x100_0000 + (((b[pos + 5] as number) << 16) | ((b[pos + 6] as number) << 8) | (b[pos + 7] as number));
    pos += 8;
    const n = high * TWO_32 + low;
    if (!Number.isSafeInteger(n)) odd = true;
    return n;
  }
  if (t === 0xcb && pos + 8 <= b.length) {
    // msgpackr writes integers beyond 32 bits as float64.
    const n = new DataView(b.buffer, b.byteOffset + pos, 8).getFloat64(0);
    pos += 8;
    if (!Number.isSafeInteger(n) || n < 0) odd = true;
    return n;
  }
  odd = true;
  return 0;
}

/** Skips a bin and returns where its bytes start; its length ends at `pos`. */
function readBin(b: Uint8Array): number {
  const t = b[pos++] as number;
  let len: number;
  if (t === 0xc4) len = b[pos++] as number;
  else if (t === 0xc5) {
    len = ((b[pos] as number) << 8) | (b[pos + 1] as number);
    pos += 2;
  } else if (t === 0xc6) {
    len = (b[pos] as number) * 0x100_0000 + (((b[pos + 1] as number) << 16) | ((b[pos + 2] as number) << 8) | (b[pos + 3] as number));
    pos += 4;
  } else {
    odd = true;
    return 0;
  }
  const start = pos;
  pos += len;
  return start;
}

/** Fills `out` from `bytes`; throws StorageCorrupt (from the full decoder) if the record is malformed. */
export function readRecordHeader(bytes: Uint8Array, out: RecordHeader): void {
  odd = bytes[0] !== 0x96;
  pos = 1;
  let keyStart = 0;
  let keyEnd = 0;
  if (!odd) {
    keyStart = readBin(bytes);
    keyEnd = pos;
    out.createRevision = readUint(bytes);
    out.modRevision = readUint(bytes);
    out.version = readUint(bytes);
    readBin(bytes);
    out.lease = readUint(bytes);
  }
  if (!odd && pos === bytes.length) {
    // Straight from the bytes: no view of the key to make first (LevelDB's values are Buffers).
    out.key = Buffer.isBuffer(bytes) ? bytes.toString('latin1', keyStart, keyEnd) : indexKey(bytes.subarray(keyStart, keyEnd));
    return;
  }
  const kv = decodeRecordShared(bytes);
  out.key = indexKey(kv.key);
  out.createRevision = kv.createRevision;
  out.modRevision = kv.modRevision;
  out.version = kv.version;
  out.lease = kv.lease;
}
