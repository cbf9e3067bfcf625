/**
 * Incremental reader of a backend chunk stream (backend-chunks.ts) cut anywhere. It reads the
 * msgpack by hand, record by record, instead of asking msgpackr for whole chunks: a chunk (1 MiB)
 * arrives in several transport pieces (256 KiB), and re-decoding the unfinished chunk from its
 * start on every piece cost ~2.5 parses per byte and held the event loop for a whole chunk at a
 * time. Here each byte is read once, only the unfinished record is carried to the next piece, and
 * the records of one piece come out together (bounded by the piece).
 *
 * The shape read is exactly what `recordsToChunks` writes (chunk-encoder.ts: msgpackr's bytes): a chunk is an
 * array (fixarray, array 16 or array 32) of records; a record is a 3-element fixarray of the bucket
 * name (str) and the key and value (bin). nil between chunks is padding. Anything else is corrupt.
 * Keys and values are views into the pieces, as msgpackr's own decoding returns them.
 */
import { BUCKETS, type BucketName } from './backend.js';
import { KvError } from '../util/errors.js';

/** Bytes of one record that may be held while waiting for the rest of it. */
export const MAX_PENDING_BYTES = 256 << 20;

/** `[bucket, key, value]`, as backend-chunks.ts names it. */
type BackendRecord = [BucketName, Uint8Array, Uint8Array];

const NIL = 0xc0;
const FIXARRAY_3 = 0x93;
const BUCKET_BY_NAME = new Map<string, BucketName>(BUCKETS.map((b) => [b, b]));

/** Thrown inside a parse when the bytes end first; `need` is how many bytes would let it go on. */
class Incomplete {
  constructor(readonly need: number) {}
}

function corrupt(what: string): KvError {
  return new KvError('StorageCorrupt', `cairn: backend snapshot chunk ${what}`);
}

export class ChunkStreamDecoder {
  /** Pieces of an unfinished array header or record, and how many bytes they hold. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Bytes needed before parsing the pending ones is worth another try. */
  private need = 0;
  /** Records still to come in the current chunk (0: between chunks). */
  private recordsLeft = 0;
  private recordsSeen = 0;

  /** The whole records the bytes so far complete (possibly none). */
  push(piece: Uint8Array): BackendRecord[] {
    if (piece.length === 0) return [];
    this.pending.push(piece);
    this.pendingBytes += piece.length;
    if (this.pendingBytes < this.need) return [];
    const bytes = this.pending.length === 1 ? piece : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.need = 0;
    const out: BackendRecord[] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    try {
      while (at < bytes.length) {
        at = this.recordsLeft === 0 ? this.chunkHeader(bytes, view, at) : this.record(bytes, view, at, out);
      }
    } catch (err) {
      if (!(err instanceof Incomplete)) throw err;
      const rest = bytes.subarray(at);
      if (err.need > MAX_PENDING_BYTES) throw corrupt(`record larger than ${MAX_PENDING_BYTES} bytes`);
      this.pending = [rest];
      this.pendingBytes = rest.length;
      this.need = err.need;
    }
    return out;
  }

  /** Checks that the stream ended between chunks. */
  end(): void {
    if (this.pendingBytes > 0 || this.recordsLeft > 0) {
      throw new KvError('StorageCorrupt', `cairn: backend snapshot stream ends inside a chunk (${this.pendingBytes} bytes left over)`);
    }
  }

  /** Reads padding or the array header of the next chunk; returns where the next item starts. */
  private chunkHeader(bytes: Uint8Array, view: DataView, at: number): number {
    const b = bytes[at] as number;
    if (b === NIL) return at + 1;
    if (b >= 0x90 && b <= 0x9f) return this.begin(b & 0x0f, at + 1);
    if (b === 0xdc) return this.begin(u16(bytes, view, at + 1, at), at + 3);
    if (b === 0xdd) return this.begin(u32(bytes, view, at + 1, at), at + 5);
    throw corrupt('is not a list');
  }

  private begin(records: number, next: number): number {
    this.recordsLeft = records;
    this.recordsSeen = 0;
    return next;
  }

  /** Reads one record into `out`, all or nothing; returns where the next one starts. */
  private record(bytes: Uint8Array, view: DataView, start: number, out: BackendRecord[]): number {
    if (bytes[start] !== FIXARRAY_3) throw this.malformed();
    let at = start + 1;
    const nameLength = this.strLength(bytes, view, at, start);
    at += nameLength.header;
    const nameEnd = at + nameLength.length;
    if (nameEnd > bytes.length) throw new Incomplete(nameEnd - start);
    const bucket = BUCKET_BY_NAME.get(Buffer.from(bytes.buffer, bytes.byteOffset + at, nameLength.length).toString('latin1'));
    if (bucket === undefined) throw this.malformed();
    at = nameEnd;
    const keyLength = this.binLength(bytes, view, at, start);
    const keyStart = at + keyLength.header;
    at = keyStart + keyLength.length;
    const valueLength = this.binLength(bytes, view, at, start);
    const valueStart = at + valueLength.header;
    const end = valueStart + valueLength.length;
    if (end > bytes.length) throw new Incomplete(end - start);
    out.push([bucket, bytes.subarray(keyStart, keyStart + keyLength.length), bytes.subarray(valueStart, end)]);
    this.recordsLeft--;
    this.recordsSeen++;
    return end;
  }

  private strLength(bytes: Uint8Array, view: DataView, at: number, start: number): { header: number; length: number } {
    if (at >= bytes.length) throw new Incomplete(at + 1 - start);
    const b = bytes[at] as number;
    if (b >= 0xa0 && b <= 0xbf) return { header: 1, length: b & 0x1f };
    if (b === 0xd9) return { header: 2, length: u8(bytes, at + 1, start) };
    throw this.malformed();
  }

  private binLength(bytes: Uint8Array, view: DataView, at: number, start: number): { header: number; length: number } {
    if (at >= bytes.length) throw new Incomplete(at + 1 - start);
    switch (bytes[at]) {
      case 0xc4:
        return { header: 2, length: u8(bytes, at + 1, start) };
      case 0xc5:
        return { header: 3, length: u16(bytes, view, at + 1, start) };
      case 0xc6:
        return { header: 5, length: u32(bytes, view, at + 1, start) };
      default:
        throw this.malformed();
    }
  }

  private malformed(): KvError {
    return corrupt(`has a malformed record at ${this.recordsSeen}`);
  }
}

function u8(bytes: Uint8Array, at: number, start: number): number {
  if (at + 1 > bytes.length) throw new Incomplete(at + 1 - start);
  return bytes[at] as number;
}

function u16(bytes: Uint8Array, view: DataView, at: number, start: number): number {
  if (at + 2 > bytes.length) throw new Incomplete(at + 2 - start);
  return view.getUint16(at);
}

function u32(bytes: Uint8Array, view: DataView, at: number, start: number): number {
  if (at + 4 > bytes.length) throw new Incomplete(at + 4 - start);
  return view.getUint32(at);
}
