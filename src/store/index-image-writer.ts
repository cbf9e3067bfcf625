/**
 * Writes the persisted key index image (index-image.ts) in the background, once enough key
 * records have been written since the last one that replaying them on open would cost a fair
 * share of a full rebuild (issue 18: restart of a million keys).
 *
 * Crash safety comes from the backend's order, not from a checkpoint: every chunk is an ordinary
 * backend write, issued between applies (never while a write txn is changing the index), so it is
 * queued after the writes of every revision it describes. The backend's durable state is always
 * a prefix of its write history (BufferedBackend lands each batch whole and synced, in order), so
 * a chunk that survives a crash has every record it lists on disk with it. The header comes last,
 * in the write with the final chunk, synced: a header names only chunks that landed before it.
 *
 * Keys are encoded a chunk at a time, resting between chunks (the pacer: as long as the chunk's
 * own turn took, at least 10 ms) so that the Ready loop and the write path never wait on more than
 * one slice; a key encoded after later writes holds revisions above the image's start revision R,
 * which open skips per key (IndexBuilder's seed). A compaction or a restore
 * while writing abandons the image (the old one stays valid; the new chunks are garbage that the
 * next image deletes).
 */
import type { Backend, BackendOp } from '../storage/backend.js';
import { chunkKey, encodeChunk, encodeHeader, IMAGE_HEADER_KEY, imageDelOp, imagePutOp, type ImageHeader } from './index-image.js';
import type { TreeIndex } from './tree-index.js';

/** What the writer needs of the store; read afresh at each chunk. */
export interface ImageSource {
  index(): TreeIndex;
  revision(): number;
  compacted(): number;
  /** True while a write txn is being applied or a compaction is pending: no chunk then. */
  busy(): boolean;
  /** Changes whenever the store's contents are replaced or it closes: the image is abandoned. */
  epoch(): number;
}

export interface ImageWriterOptions {
  /** Fewest key records written since the last image before another is written. */
  readonly minRecords?: number;
  /** Keys per chunk: bounds both the chunk's bytes (~60 B per key) and the time one slice holds the loop. */
  readonly keysPerChunk?: number;
  /** Revisions per chunk: the same bound for keys with long histories (~6 B per revision). */
  readonly revisionsPerChunk?: number;
}

export class IndexImageWriter {
  private recordsSince = 0;
  private running: Promise<void> | undefined;
  private readonly minRecords: number;
  private readonly keysPerChunk: number;
  private readonly revisionsPerChunk: number;
  /**
   * Revisions in the last image written (its size), or until one is written here the key count of
   * the one found on open: what an image costs to write, and what replay is measured against.
   */
  private imageRevisions: number;

  constructor(
    private readonly backend: Backend,
    private readonly source: ImageSource,
    /** A factory of one image's rest between chunks (compaction-pacer.ts; setImmediate in tests). */
    private readonly pacer: () => () => Promise<void>,
    /** The image the backend holds now (its generation's chunks are the ones to keep). */
    private current: ImageHeader | undefined,
    options: ImageWriterOptions = {},
  ) {
    this.minRecords = options.minRecords ?? 100_000;
    // 2,048 keys: at 16,384 a store of keys with 10 revisions each encoded ~160k revisions (~3 MB)
    // per slice, and requests waited up to ~0.5 s behind an image being written (bench:compaction's
    // idle probe after its history, 2026-12-08); smaller slices cost only more, smaller chunks.
    this.keysPerChunk = options.keysPerChunk ?? 2_048;
    // 4,096 revisions (~25 KB of chunk) keeps a slice of long histories as short as one of 2,048
    // one-revision keys (bench/RESULTS.md, "The key index image paced").
    this.revisionsPerChunk = options.revisionsPerChunk ?? 4_096;
    this.imageRevisions = current?.keys ?? 0;
  }

  /** Counts records an image would save replaying, without starting one (a rebuild on open). */
  owe(n: number): void {
    this.recordsSince += n;
  }

  /** Counts key records written (or left to replay on open); starts an image when due. */
  noteRecords(n: number): void {
    this.recordsSince += n;
    if (this.running !== undefined) return;
    // Replaying a quarter of the image's size costs a quarter of a rebuild; an image costs about
    // one pass over the revisions it holds, so images stay a small share of the write path's work.
    // Counted in revisions, not keys: with 10 revisions a key, a key count rewrote the image every
    // tenth of its size (issue 18, bench:compaction's history).
    if (this.recordsSince < Math.max(this.minRecords, (this.imageRevisions + this.recordsSince) / 4)) return;
    this.start();
  }

  private start(): Promise<boolean> {
    const written = this.writeOnce();
    const running: Promise<void> = written
      .then(() => undefined, () => undefined) // a failed write leaves the previous image, which stays valid
      .finally(() => {
        if (this.running === running) this.running = undefined;
      });
    this.running = running;
    return written;
  }

  /** Resolves when no image is being written (tests). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** Writes one image now, after any being written; resolves true if it was completed. */
  async write(): Promise<boolean> {
    await this.idle();
    return this.start();
  }

  private async writeOnce(): Promise<boolean> {
    const src = this.source;
    const rest = this.pacer();
    while (src.busy()) await rest();
    const epoch = src.epoch();
    const compacted = src.compacted();
    const revision = src.revision();
    const index = src.index();
    const generation = ((this.current?.generation ?? 0) + 1) >>> 0;
    const counted = this.recordsSince;
    const stale = await this.staleChunks();
    let after: string | undefined;
    let chunks = 0;
    let keys = 0;
    let revisions = 0;
    for (;;) {
      await rest();
      while (src.busy()) await rest();
      if (src.epoch() !== epoch || src.compacted() !== compacted || src.index() !== index) return false;
      // From here to the write call nothing awaits: the chunk is queued right after the writes it reflects.
      const slice = index.imageSlice(after, this.keysPerChunk, this.revisionsPerChunk);
      const ops: BackendOp[] = chunks === 0 ? [...stale] : [];
      ops.push(imagePutOp(chunkKey(generation, chunks), encodeChunk(generation, chunks, slice)));
      chunks++;
      keys += slice.keys.length;
      revisions += slice.revisions;
      after = slice.last;
      if (after === undefined) {
        const header: ImageHeader = { generation, chunks, revision, compacted, keys };
        ops.push(imagePutOp(IMAGE_HEADER_KEY, encodeHeader(header)));
        await this.backend.write(ops, { sync: true });
        const previous = this.current;
        this.current = header;
        this.imageRevisions = revisions;
        this.recordsSince -= counted;
        if (previous !== undefined) {
          await this.backend.write(Array.from({ length: previous.chunks }, (_, i) => imageDelOp(chunkKey(previous.generation, i))));
        }
        return true;
      }
      await this.backend.write(ops);
    }
  }

  /** Chunks of any generation but the current image's: left by an image abandoned or a crash. */
  private async staleChunks(): Promise<BackendOp[]> {
    const out: BackendOp[] = [];
    const keep = this.current?.generation;
    for await (const [k] of this.backend.iterate('meta', { gte: chunkKey(0, 0), lte: chunkKey(0xffff_ffff, 0xffff_ffff) })) {
      const gen = new DataView(k.buffer, k.byteOffset, k.byteLength).getUint32(k.length - 8);
      if (gen !== keep) out.push(imageDelOp(k.slice()));
    }
    return out;
  }
}
