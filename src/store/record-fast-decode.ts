/**
 * The key bucket's record (records.ts: a msgpack array of key, create, mod, version, value,
 * lease) read without the general msgpack decoder, for the shapes msgpackr writes: a 6-array,
 * bin8/16/32 byte strings, and non-negative integers as fixint, uint8/16/32 or a float64
 * holding a safe integer. Anything else (or bytes left over) gives undefined and the caller
 * takes msgpackr's path, so what is accepted or rejected never changes: only the cost. msgpackr
 * made an array and two Buffer views per record, and the copy for the caller two more arrays;
 * here one copy of the record holds both byte strings.
 */
import type { KeyValue } from './types.js';

const FIXARRAY_6 = 0x96;
const NOT = -1;

/** Read position within the record being decoded (single-threaded, never re-entered). */
let pos = 0;
/** End of the byte string `bin` found. */
let binEnd = 0;

function be(b: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + (b[at + i] as number);
  return v;
}

/** Start of the byte string at `pos` (its end in `binEnd`), or NOT. */
function bin(b: Uint8Array): number {
  const tag = b[pos];
  const lenBytes = tag === 0xc4 ? 1 : tag === 0xc5 ? 2 : tag === 0xc6 ? 4 : 0;
  if (lenBytes === 0 || pos + 1 + lenBytes > b.length) return NOT;
  const start = pos + 1 + lenBytes;
  const end = start + be(b, pos + 1, lenBytes);
  if (end > b.length) return NOT;
  pos = end;
  binEnd = end;
  return start;
}

/** The non-negative safe integer at `pos`, or NOT. */
function uint(b: Uint8Array): number {
  const tag = b[pos];
  if (tag === undefined) return NOT;
  if (tag <= 0x7f) {
    pos += 1;
    return tag;
  }
  const size = tag === 0xcc ? 1 : tag === 0xcd ? 2 : tag === 0xce ? 4 : tag === 0xcb ? 8 : 0;
  if (size === 0 || pos + 1 + size > b.length) return NOT;
  let n: number;
  if (tag === 0xcb) {
    n = new DataView(b.buffer, b.byteOffset + pos + 1, 8).getFloat64(0);
    if (!Number.isSafeInteger(n) || n < 0 || Object.is(n, -0)) return NOT;
  } else {
    n = be(b, pos + 1, size);
  }
  pos += 1 + size;
  return n;
}

/** The record as a KeyValue whose key and value are views of one fresh copy, or undefined. */
export function decodeRecordFast(bytes: Uint8Array): KeyValue | undefined {
  if (bytes[0] !== FIXARRAY_6) return undefined;
  pos = 1;
  const keyStart = bin(bytes);
  if (keyStart === NOT) return undefined;
  const keyEnd = binEnd;
  const createRevision = uint(bytes);
  const modRevision = createRevision === NOT ? NOT : uint(bytes);
  const version = modRevision === NOT ? NOT : uint(bytes);
  const valueStart = version === NOT ? NOT : bin(bytes);
  if (valueStart === NOT) return undefined;
  const valueEnd = binEnd;
  const lease = uint(bytes);
  if (lease === NOT || pos !== bytes.length) return undefined;
  // Not `bytes.slice()`: on a Buffer (what LevelDB gives) that is a view, not a copy.
  const copy = new Uint8Array(bytes);
  return {
    key: copy.subarray(keyStart, keyEnd),
    createRevision,
    modRevision,
    version,
    value: copy.subarray(valueStart, valueEnd),
    lease,
  };
}
