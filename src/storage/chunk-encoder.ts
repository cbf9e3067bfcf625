/**
 * Writes backend chunks (backend-chunks.ts) by hand, the mirror of chunk-decoder.ts: the same
 * bytes msgpackr writes for an array of `[bucket, key, value]` records (a test holds them equal),
 * without building the array of records first or msgpackr's generic walk over it. A leader
 * sending a snapshot spent about as much CPU packing records as the receiver spent staging them.
 */
import type { BucketName } from './backend.js';

/** Room for the largest array header (array 32), written in front of the records once counted. */
const HEADER_ROOM = 5;
const FIXARRAY_3 = 0x93;

const NAME_BYTES = new Map<string, Uint8Array>();

/** A bucket name as msgpack's fixstr (str 8 beyond 31 bytes), cached: there are only a few. */
function encodedName(bucket: BucketName): Uint8Array {
  let bytes = NAME_BYTES.get(bucket);
  if (bytes === undefined) {
    const text = Buffer.from(bucket, 'utf8');
    bytes = text.length < 32 ? Buffer.concat([Buffer.from([0xa0 | text.length]), text]) : Buffer.concat([Buffer.from([0xd9, text.length]), text]);
    NAME_BYTES.set(bucket, bytes);
  }
  return bytes;
}

function binHeaderBytes(length: number): number {
  return length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
}

export class ChunkWriter {
  private buffer: Buffer;
  private at = HEADER_ROOM;
  private records = 0;

  constructor(private readonly capacityHint: number) {
    this.buffer = Buffer.allocUnsafe(HEADER_ROOM + capacityHint);
  }

  /** Bytes of records held. */
  get size(): number {
    return this.at - HEADER_ROOM;
  }

  get count(): number {
    return this.records;
  }

  add(bucket: BucketName, key: Uint8Array, value: Uint8Array): void {
    const name = encodedName(bucket);
    this.reserve(1 + name.length + binHeaderBytes(key.length) + key.length + binHeaderBytes(value.length) + value.length);
    const b = this.buffer;
    b[this.at++] = FIXARRAY_3;
    b.set(name, this.at);
    this.at += name.length;
    this.bin(key);
    this.bin(value);
    this.records++;
  }

  /** The chunk so far (its own bytes), and a fresh writer state for the next one. */
  take(): Uint8Array {
    const n = this.records;
    const headerBytes = n < 16 ? 1 : n < 0x10000 ? 3 : 5;
    const start = HEADER_ROOM - headerBytes;
    const b = this.buffer;
    if (n < 16) b[start] = 0x90 | n;
    else if (n < 0x10000) {
      b[start] = 0xdc;
      b.writeUInt16BE(n, start + 1);
    } else {
      b[start] = 0xdd;
      b.writeUInt32BE(n, start + 1);
    }
    const chunk = b.subarray(start, this.at);
    this.buffer = Buffer.allocUnsafe(HEADER_ROOM + this.capacityHint);
    this.at = HEADER_ROOM;
    this.records = 0;
    return chunk;
  }

  private bin(bytes: Uint8Array): void {
    const b = this.buffer;
    const n = bytes.length;
    if (n < 0x100) {
      b[this.at] = 0xc4;
      b[this.at + 1] = n;
      this.at += 2;
    } else if (n < 0x10000) {
      b[this.at] = 0xc5;
      b.writeUInt16BE(n, this.at + 1);
      this.at += 3;
    } else {
      b[this.at] = 0xc6;
      b.writeUInt32BE(n, this.at + 1);
      this.at += 5;
    }
    b.set(bytes, this.at);
    this.at += n;
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
  }
}
