/**
 * TEST ONLY: a power-loss disk for real processes. LevelDB keeps unsynced writes across a
 * process kill (they sit in the OS page cache), so killing a `cairn serve` never tests
 * durability. This disk keeps the member's data in memory (a MemoryKv) and appends every batch
 * to a file as one CRC-checked record marked synced or not; a synced batch is fsynced before it
 * resolves. A SIGKILL alone is a process crash (the file keeps everything, as the page cache
 * would); `powerCut()` after it is a power loss: the file is cut at some point at or after the
 * end of the last synced record — every unsynced write lost, or a prefix of them kept with the
 * last one possibly torn — and the next start reloads the whole records before the cut.
 *
 * Selected by `CAIRN_TEST_DISK=file` (src/cli/test-hooks.ts). Never use it in production: the
 * whole key space lives on the heap.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pack, unpack } from 'msgpackr';
import { crc32c } from '../util/crc.js';
import { KvError } from '../util/errors.js';
import type { IterateOptions } from './backend.js';
import type { KvOp, KvSnapshot, OrderedKv } from './kv.js';
import { MemoryKv } from './memory-kv.js';

const HEADER = 8;
/** Rewrite the file as one record of the whole synced state once it grows past this. */
const COMPACT_BYTES = 64 << 20;

type WireOp = [0, Uint8Array, Uint8Array] | [1, Uint8Array];

function toWire(ops: readonly KvOp[]): WireOp[] {
  return ops.map((op) => (op.type === 'put' ? [0, op.key, op.value] : [1, op.key]));
}

function fromWire(ops: WireOp[]): KvOp[] {
  return ops.map((w) => (w[0] === 0 ? { type: 'put', key: new Uint8Array(w[1]), value: new Uint8Array(w[2]) } : { type: 'del', key: new Uint8Array(w[1]) }));
}

/** A record's payload: [1 if the batch was synced, its ops]. */
type WireRecord = [0 | 1, WireOp[]];

function record(ops: readonly KvOp[], synced: boolean): Buffer {
  const payload = pack([synced ? 1 : 0, toWire(ops)] satisfies WireRecord);
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32c(payload), 4);
  payload.copy(out, HEADER);
  return out;
}

/**
 * The whole records of `file`; stops at a torn or corrupt tail (an unfinished append).
 * `syncedBytes` is where the last synced record ends: a power cut may drop anything after it.
 */
export function readRecords(file: string): { batches: KvOp[][]; validBytes: number; tornBytes: number; syncedBytes: number } {
  if (!existsSync(file)) return { batches: [], validBytes: 0, tornBytes: 0, syncedBytes: 0 };
  const buf = readFileSync(file);
  const batches: KvOp[][] = [];
  let at = 0;
  let syncedBytes = 0;
  while (at + HEADER <= buf.length) {
    const len = buf.readUInt32BE(at);
    const crc = buf.readUInt32BE(at + 4);
    if (at + HEADER + len > buf.length) break;
    const payload = buf.subarray(at + HEADER, at + HEADER + len);
    if (crc32c(payload) !== crc) break;
    const [synced, ops] = unpack(payload) as WireRecord;
    batches.push(fromWire(ops));
    at += HEADER + len;
    if (synced === 1) syncedBytes = at;
  }
  return { batches, validBytes: at, tornBytes: buf.length - at, syncedBytes };
}

/**
 * A power cut of the member whose (killed) process wrote `dir`: keeps `keep` (0..1) of the bytes
 * written after the last synced record — 0 loses every unsynced write, anything else keeps a
 * prefix of them and may tear the record it cuts through. Returns the bytes dropped.
 */
export function powerCut(dir: string, keep: number): number {
  // Every store of the data dir (kv-dir.ts): the first at the top, staged ones in db-<n>.
  if (!existsSync(dir)) return 0;
  const stores = readdirSync(dir).filter((name) => /^db-[0-9]+$/.test(name));
  let dropped = cutLog(join(dir, 'synced.log'), keep);
  for (const name of stores) dropped += cutLog(join(dir, name, 'synced.log'), keep);
  return dropped;
}

function cutLog(file: string, keep: number): number {
  if (!existsSync(file)) return 0;
  const { syncedBytes } = readRecords(file);
  const size = statSync(file).size;
  const cut = syncedBytes + Math.floor(Math.min(1, Math.max(0, keep)) * (size - syncedBytes));
  truncateSync(file, cut);
  return size - cut;
}

export class FileDiskKv implements OrderedKv {
  readonly label: string;
  private readonly file: string;
  private fd: number;
  private fileBytes: number;
  /** Batches written since the last synced one. */
  private unsyncedCount = 0;
  private readonly mem: OrderedKv;
  private closed = false;
  /** Records synced while a compaction builds its snapshot record. */
  private sinceSnapshot: Buffer[] | undefined;

  private constructor(dir: string, mem: OrderedKv, fileBytes: number, private readonly lieAboutSync: boolean) {
    this.label = dir;
    this.file = join(dir, 'synced.log');
    this.mem = mem;
    this.fileBytes = fileBytes;
    this.fd = openSync(this.file, 'a');
  }

  /**
   * Loads every synced record of `<dir>/synced.log` (dropping a torn tail) and opens for appends.
   * `lieAboutSync` makes a deliberately broken disk that acknowledges syncs without writing
   * anything: the chaos harness must then report lost acknowledged writes (it proves the checks
   * can fail).
   */
  static async open(dir: string, o: { lieAboutSync?: boolean } = {}): Promise<FileDiskKv> {
    const file = join(dir, 'synced.log');
    const { batches, validBytes, tornBytes } = readRecords(file);
    const disk = new MemoryKv(dir);
    const mem = disk.open();
    for (const ops of batches) await mem.batch(ops, { sync: true });
    if (tornBytes > 0) {
      // Cut the unfinished append so later records follow the last whole one.
      const whole = readFileSync(file).subarray(0, validBytes);
      writeAtomically(file, whole);
    }
    return new FileDiskKv(dir, mem, validBytes, o.lieAboutSync === true);
  }

  private check(): void {
    if (this.closed) throw new KvError('Stopped', `${this.label}: storage is closed`);
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.mem.get(key);
  }
  iterate(options: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]> {
    return this.mem.iterate(options);
  }
  keys(options: IterateOptions): AsyncIterable<Uint8Array> {
    return this.mem.keys(options);
  }
  snapshot(): KvSnapshot {
    return this.mem.snapshot();
  }
  compactRange(start: Uint8Array, end: Uint8Array): Promise<void> {
    return this.mem.compactRange(start, end);
  }
  sizeBytes(): Promise<number> {
    return this.mem.sizeBytes();
  }

  /**
   * Synchronous file I/O on purpose: the append happens in call order with no interleaving, and
   * the batch resolves only after fsync, so "synced" means on disk.
   */
  async batch(ops: readonly KvOp[], options: { readonly sync: boolean }): Promise<void> {
    this.check();
    if (ops.length === 0) return;
    const copies = ops.map((op): KvOp => (op.type === 'put' ? { type: 'put', key: op.key.slice(), value: op.value.slice() } : { type: 'del', key: op.key.slice() }));
    // MemoryKv applies a batch before its promise settles; everything below up to the file
    // write stays synchronous so a concurrent batch cannot slip in between (order is the log's).
    const applied = this.mem.batch(copies, { sync: options.sync });
    if (this.lieAboutSync) {
      // Acknowledges every batch, synced or not, and writes nothing.
      this.unsyncedCount++;
      return applied;
    }
    const rec = record(copies, options.sync);
    writeSync(this.fd, rec);
    this.fileBytes += rec.length;
    this.sinceSnapshot?.push(rec);
    if (!options.sync) {
      this.unsyncedCount++;
      return applied;
    }
    fsyncSync(this.fd);
    this.unsyncedCount = 0;
    if (this.fileBytes > COMPACT_BYTES && this.sinceSnapshot === undefined) {
      const frozen = this.mem.snapshot();
      await applied;
      await this.compact(frozen);
      return;
    }
    await applied;
  }

  /**
   * Rewrites the file as one record of the state at `frozen` (taken right after a synced batch,
   * so all of it synced) plus every record written while that record was being built (they went
   * to the old file too, so nothing synced is ever only in memory).
   */
  private async compact(frozen: KvSnapshot): Promise<void> {
    this.sinceSnapshot = [];
    try {
      const all: KvOp[] = [];
      for await (const [key, value] of frozen.iterate({})) all.push({ type: 'put', key, value });
      if (this.closed) return;
      const data = Buffer.concat([record(all, true), ...this.sinceSnapshot]);
      closeSync(this.fd);
      writeAtomically(this.file, data);
      this.fd = openSync(this.file, 'a');
      this.fileBytes = data.length;
    } finally {
      this.sinceSnapshot = undefined;
      await frozen.release();
    }
  }

  /** Batches written since the last synced one (what a power cut may lose). */
  unsyncedBatches(): number {
    return this.unsyncedCount;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    await this.mem.close();
  }
}

function writeAtomically(file: string, data: Uint8Array): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  writeSync(fd, data);
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
}
