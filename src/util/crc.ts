import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC-32C (Castagnoli), as etcd's WAL uses; `previous` chains a running checksum. */
export function crc32c(data: Uint8Array, previous = 0): number {
  // LevelDB hands out Buffers already: wrapping each again cost ~0.1 µs per call on open's scan.
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return nativeCrc32c(buf, previous) >>> 0;
}
