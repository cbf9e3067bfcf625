/**
 * Compaction (etcd's store.compact + scheduleCompaction). The compact request itself only records
 * `scheduledCompactRev` in the meta bucket and raises the compacted revision; this job then drops
 * history in bounded batches, yielding between them so apply never stalls:
 *   1. the key index, a batch of keys at a time (keyIndex.compact);
 *   2. the backend: every record at or below the revision that the index no longer holds is
 *      deleted, a batch at a time; the last batch records `finishedCompactRev`.
 * A job scheduled while the store runs does both together: the index reports each revision it
 * drops (etcd keeps a `keep` map for the same reason) and those records are deleted by key, so no
 * record is read back (issue 18: reading and decoding every old record was most of the job's CPU
 * and garbage). A job resumed on open scans instead (`resumed`): the index there was loaded from
 * the backend, or from an image already compacted, so only the records can say what is left.
 * Both steps are idempotent, so a crash in between is repaired on open by running the job again
 * for `scheduledCompactRev` when it is ahead of `finishedCompactRev`. Jobs run one at a time.
 */
import type { Backend, BackendOp, BackendSnapshot } from '../storage/backend.js';
import { utf8 } from '../util/bytes.js';
import { newRecordHeader, readRecordHeader } from './record-header.js';
import { decodeRevKey, encodeRevKey, encodeUint64, revKeyLowerBound } from './revision.js';
import type { TreeIndex } from './tree-index.js';

export const SCHEDULED_COMPACT_KEY = utf8('scheduledCompactRev');
export const FINISHED_COMPACT_KEY = utf8('finishedCompactRev');

export function scheduledCompactOp(rev: number): BackendOp {
  return { type: 'put', bucket: 'meta', key: SCHEDULED_COMPACT_KEY, value: encodeUint64(rev) };
}

export interface CompactorOptions {
  /** Keys per index batch and records per backend batch (etcd: 1000). */
  readonly batchSize: number;
  /** Lets other work run between batches (setImmediate; the simulator may pass its own). */
  readonly yieldBetweenBatches: () => Promise<void>;
  /** One job's pause between batches of backend deletes (compaction-pacer.ts); default yieldBetweenBatches. */
  readonly deletePacer?: () => () => Promise<void>;
  /** Told, in the same tick, of each index batch: keys after `after` up to `last` (undefined: to the end). */
  readonly afterIndexBatch?: (after: string | undefined, last: string | undefined) => void;
}

export class Compactor {
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private jobs = 0;

  constructor(
    private readonly backend: Backend,
    private readonly index: TreeIndex,
    private readonly options: CompactorOptions,
  ) {}

  /**
   * Queues a compaction at `rev`; resolves when the backend has dropped the old revisions.
   * `resumed`: a job left unfinished before open, whose garbage the index may no longer know.
   */
  schedule(rev: number, resumed = false): Promise<void> {
    this.jobs++;
    const job = this.chain.then(() => (resumed ? this.runScanning(rev) : this.run(rev))).finally(() => void this.jobs--);
    this.chain = job.catch(() => undefined);
    return job;
  }

  /** Compaction jobs queued or running. */
  pending(): number {
    return this.jobs;
  }

  /** Resolves when every queued job has finished (or failed). */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Stops after the current batch; queued jobs do nothing (they run again on the next open). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain;
  }

  /** Index batch by index batch, deleting the records of the revisions each one drops. */
  private async run(rev: number): Promise<void> {
    const { batchSize } = this.options;
    const pause = this.options.deletePacer?.() ?? this.options.yieldBetweenBatches;
    // (main, sub, 1 if tombstone) triples: numbers, not keys, so a key with a long history costs 24 B a revision.
    const dropped: number[] = [];
    const report = (main: number, sub: number, tombstone: boolean) => void dropped.push(main, sub, tombstone ? 1 : 0);
    let cursor: string | undefined;
    do {
      if (this.stopped) return;
      const after = cursor;
      dropped.length = 0;
      cursor = this.index.compactBatch(rev, cursor, batchSize, report);
      this.options.afterIndexBatch?.(after, cursor);
      for (let at = 0; at < dropped.length; at += 3 * batchSize) {
        const ops: BackendOp[] = [];
        for (let i = at; i < Math.min(dropped.length, at + 3 * batchSize); i += 3) {
          ops.push({ type: 'del', bucket: 'key', key: encodeRevKey({ main: dropped[i] as number, sub: dropped[i + 1] as number }, dropped[i + 2] === 1) });
        }
        // Unread: no reader asks for a record the index has dropped (WriteOptions.unread).
        await this.backend.write(ops, { unread: true });
        if (this.stopped) return;
        await pause();
        await this.landed();
      }
      if (dropped.length === 0) await this.options.yieldBetweenBatches();
    } while (cursor !== undefined);
    await this.backend.write([{ type: 'put', bucket: 'meta', key: FINISHED_COMPACT_KEY, value: encodeUint64(rev) }]);
  }

  private async runScanning(rev: number): Promise<void> {
    const { batchSize, yieldBetweenBatches } = this.options;
    let cursor: string | undefined;
    do {
      if (this.stopped) return;
      const after = cursor;
      cursor = this.index.compactBatch(rev, cursor, batchSize);
      this.options.afterIndexBatch?.(after, cursor);
      await yieldBetweenBatches();
    } while (cursor !== undefined);

    // One snapshot for the whole scan: taking it lands every buffered write once (each record at
    // or below `rev` was written before the compaction), and the batches read it without forcing
    // a synced flush into the member's write stream for each batch, as a backend iterate does
    // (issue 18: requests waited behind those). This job's own deletes are not in the snapshot,
    // but the cursor only moves forward, so no record is read twice.
    const snap = await this.backend.snapshot();
    try {
      await this.dropOldRecords(rev, snap);
    } finally {
      await snap.release();
    }
  }

  private async dropOldRecords(rev: number, snap: BackendSnapshot): Promise<void> {
    const { batchSize, yieldBetweenBatches, deletePacer } = this.options;
    const pause = deletePacer?.() ?? yieldBetweenBatches;
    const end = revKeyLowerBound(rev + 1);
    let after: Uint8Array | undefined;
    // Only each record's key is needed, so its value is never decoded (record-header.ts): a full
    // decode per old record was most of the ~20 µs each cost (issue 18, bench:compaction).
    const header = newRecordHeader();
    for (;;) {
      if (this.stopped) return;
      const ops: BackendOp[] = [];
      let seen = 0;
      const range = after === undefined ? { lt: end, limit: batchSize } : { gt: after, lt: end, limit: batchSize };
      for await (const [k, v] of snap.iterate('key', range)) {
        seen++;
        after = k;
        const { rev: r } = decodeRevKey(k);
        readRecordHeader(v, header);
        if (!this.index.hasRevision(header.key, r)) ops.push({ type: 'del', bucket: 'key', key: k });
      }
      const done = seen < batchSize;
      if (done) ops.push({ type: 'put', bucket: 'meta', key: FINISHED_COMPACT_KEY, value: encodeUint64(rev) });
      if (ops.length > 0) await this.backend.write(ops);
      if (done) return;
      await pause();
      await this.landed();
    }
  }

  /**
   * Waits, after a batch's rest, until its deletes have landed (usually in a Ready's synced batch
   * during the rest). The job thus never runs ahead of the disk: when fsyncs or LevelDB's own
   * compaction of the tombstones fall behind, the wait grows, and with it the next rest (the
   * pacer counts it as the batch's time), instead of deletes piling into every Ready's batch.
   */
  private async landed(): Promise<void> {
    await this.backend.landed?.();
  }
}
