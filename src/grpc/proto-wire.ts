/**
 * Just enough of the protobuf wire format to write etcd's watch messages by hand
 * (watch-encode.ts): varints, tags and length-delimited fields into a Buffer sized in advance.
 * Values follow proto-loader's serializer (protobufjs): a field present in the object is
 * written even when zero, int64 and uint64 are two's-complement 64-bit varints.
 */

export const VARINT = 0;
export const LENGTH_DELIMITED = 2;

/** A field's key: field number and wire type. */
export function tag(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

/** An int64/uint64 as the unsigned 64-bit value its varint encodes (negative: two's complement). */
export function uint64(v: number | bigint): number | bigint {
  // Below 2^31 stays a number: the common case, and bit operations on it are exact.
  if (typeof v === 'number' && v >= 0 && v < 0x80000000) return v;
  return BigInt.asUintN(64, BigInt(v));
}

export function varintSize(v: number | bigint): number {
  if (typeof v === 'number') {
    if (v < 0x80) return 1;
    if (v < 0x4000) return 2;
    if (v < 0x200000) return 3;
    if (v < 0x10000000) return 4;
    return 5;
  }
  let n = 1;
  for (let x = v >> 7n; x > 0n; x >>= 7n) n++;
  return n;
}

/** Writes `v` (a number below 2^31, or a bigint in [0, 2^64)) at `pos`; returns the next position. */
export function writeVarint(buf: Buffer, pos: number, v: number | bigint): number {
  if (typeof v === 'number') {
    while (v >= 0x80) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    return pos;
  }
  while (v >= 0x80n) {
    buf[pos++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[pos++] = Number(v);
  return pos;
}

/** One field of a message being written: its encoded size, and how to write it. */
export interface FieldPiece {
  readonly size: number;
  write(buf: Buffer, pos: number): number;
}

export function varintField(field: number, value: number | bigint): FieldPiece {
  const v = uint64(value);
  const key = tag(field, VARINT);
  return {
    size: varintSize(key) + varintSize(v),
    write: (buf, pos) => writeVarint(buf, writeVarint(buf, pos, key), v),
  };
}

export function boolField(field: number, value: boolean): FieldPiece {
  return varintField(field, value ? 1 : 0);
}

/** A bytes, string or embedded-message field whose content is already encoded. */
export function bytesField(field: number, content: Uint8Array): FieldPiece {
  const key = tag(field, LENGTH_DELIMITED);
  return {
    size: varintSize(key) + varintSize(content.length) + content.length,
    write: (buf, pos) => {
      pos = writeVarint(buf, writeVarint(buf, pos, key), content.length);
      buf.set(content, pos);
      return pos + content.length;
    },
  };
}

export function stringField(field: number, value: string): FieldPiece {
  return bytesField(field, Buffer.from(value, 'utf8'));
}

/** The message made of `pieces`, in the order given (callers list fields by number, as protobufjs writes them). */
export function encodePieces(pieces: readonly FieldPiece[]): Buffer {
  let size = 0;
  for (const p of pieces) size += p.size;
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const p of pieces) pos = p.write(buf, pos);
  return buf;
}
