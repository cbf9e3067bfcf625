import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/**
 * Inputs shorter than this are checksummed in JavaScript: a native call costs ~0.1 µs before it
 * reads a byte, which is most of the cost of a record's 17-byte key (two calls per record read,
 * key then value; a whole range of 100k keys made 200k of them).
 */
const NATIVE_FROM_BYTES = 64;

/** Slicing-by-8 tables for CRC-32C's reflected polynomial (RFC 3720 §B.4). */
const TABLES = buildTables(0x82f63b78);

function buildTables(poly: number): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 8; s++) {
      const prev = t[(s - 1) * 256 + n] as number;
      t[s * 256 + n] = (prev >>> 8) ^ (t[prev & 0xff] as number);
    }
  }
  return t;
}

/** The same function as the native one, for short inputs. */
export function crc32cJs(data: Uint8Array, previous = 0): number {
  const t = TABLES;
  let c = ~previous;
  let i = 0;
  const n = data.length;
  for (; i + 8 <= n; i += 8) {
    const a = c ^ ((data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24));
    c =
      (t[1792 + (a & 0xff)] as number) ^
      (t[1536 + ((a >>> 8) & 0xff)] as number) ^
      (t[1280 + ((a >>> 16) & 0xff)] as number) ^
      (t[1024 + (a >>> 24)] as number) ^
      (t[768 + (data[i + 4] as number)] as number) ^
      (t[512 + (data[i + 5] as number)] as number) ^
      (t[256 + (data[i + 6] as number)] as number) ^
      (t[data[i + 7] as number] as number);
  }
  for (; i < n; i++) c = (t[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32C (Castagnoli), as etcd's WAL uses; `previous` chains a running checksum. */
export function crc32c(data: Uint8Array, previous = 0): number {
  if (data.length < NATIVE_FROM_BYTES) return crc32cJs(data, previous);
  // LevelDB hands out Buffers already: wrapping each again cost ~0.1 µs per call on open's scan.
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return nativeCrc32c(buf, previous) >>> 0;
}
