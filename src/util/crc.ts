import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC-32C (Castagnoli), as etcd's WAL uses; `previous` chains a running checksum. */
export function crc32c(data: Uint8Array, previous = 0): number {
  return nativeCrc32c(Buffer.from(data.buffer, data.byteOffset, data.byteLength), previous) >>> 0;
}
