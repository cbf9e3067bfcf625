/**
 * Revisions and their backend key form. etcd's `revision{main, sub}`: `main` is the store
 * revision of one write txn, `sub` counts the changes inside it. In the backend's key bucket a
 * revision is 8 bytes big-endian main, `_`, 8 bytes big-endian sub (etcd's revToBytes), so byte
 * order is revision order; a tombstone appends `t` (etcd's markTombstone).
 */
import type { Revision } from './types.js';
import { KvError } from '../util/errors.js';

export const ZERO_REV: Revision = { main: 0, sub: 0 };
const REV_KEY_BYTES = 17;
const TOMBSTONE_MARK = 0x74; // 't'
const SEPARATOR = 0x5f; // '_'
const TWO_32 = 0x1_0000_0000;

export function rev(main: number, sub = 0): Revision {
  return { main, sub };
}

export function compareRev(a: Revision, b: Revision): number {
  return a.main !== b.main ? a.main - b.main : a.sub - b.sub;
}

function writeUint64(out: Uint8Array, at: number, n: number): void {
  const high = Math.floor(n / TWO_32);
  const low = n >>> 0;
  out[at] = high >>> 24;
  out[at + 1] = (high >>> 16) & 0xff;
  out[at + 2] = (high >>> 8) & 0xff;
  out[at + 3] = high & 0xff;
  out[at + 4] = low >>> 24;
  out[at + 5] = (low >>> 16) & 0xff;
  out[at + 6] = (low >>> 8) & 0xff;
  out[at + 7] = low & 0xff;
}

function readUint64(b: Uint8Array, at: number): number {
  const high = ((b[at] as number) * 0x100_0000 + ((b[at + 1] as number) << 16) + ((b[at + 2] as number) << 8) + (b[at + 3] as number));
  const low = ((b[at + 4] as number) * 0x100_0000 + ((b[at + 5] as number) << 16) + ((b[at + 6] as number) << 8) + (b[at + 7] as number));
  return high * TWO_32 + low;
}

/** The key-bucket key of a revision; tombstones carry etcd's trailing `t`. */
export function encodeRevKey(r: Revision, tombstone = false): Uint8Array {
  const out = new Uint8Array(tombstone ? REV_KEY_BYTES + 1 : REV_KEY_BYTES);
  writeUint64(out, 0, r.main);
  out[8] = SEPARATOR;
  writeUint64(out, 9, r.sub);
  if (tombstone) out[REV_KEY_BYTES] = TOMBSTONE_MARK;
  return out;
}

export interface DecodedRevKey {
  readonly rev: Revision;
  readonly tombstone: boolean;
}

export function decodeRevKey(b: Uint8Array): DecodedRevKey {
  const ok =
    (b.length === REV_KEY_BYTES || (b.length === REV_KEY_BYTES + 1 && b[REV_KEY_BYTES] === TOMBSTONE_MARK)) &&
    b[8] === SEPARATOR;
  if (!ok) throw new KvError('StorageCorrupt', `cairn: malformed revision key of ${b.length} bytes in the key bucket`);
  const main = readUint64(b, 0);
  const sub = readUint64(b, 9);
  if (!Number.isSafeInteger(main) || !Number.isSafeInteger(sub)) {
    throw new KvError('StorageCorrupt', 'cairn: revision key out of the safe integer range');
  }
  return { rev: { main, sub }, tombstone: b.length === REV_KEY_BYTES + 1 };
}

/** The first key-bucket key of main revision `main` (for iterating revision ranges). */
export function revKeyLowerBound(main: number): Uint8Array {
  return encodeRevKey({ main, sub: 0 });
}

/** Revision as an 8-byte big-endian number (meta bucket values). */
export function encodeUint64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  writeUint64(out, 0, n);
  return out;
}

export function decodeUint64(b: Uint8Array, what: string): number {
  if (b.length !== 8) throw new KvError('StorageCorrupt', `cairn: ${what} is ${b.length} bytes, want 8`);
  const n = readUint64(b, 0);
  if (!Number.isSafeInteger(n)) throw new KvError('StorageCorrupt', `cairn: ${what} out of the safe integer range`);
  return n;
}
