/**
 * A store being filled with a received snapshot, beside the member's active store (data-dir.ts
 * installs it). The stream is written as it arrives, in bounded batches, so memory stays bounded
 * whatever the snapshot's size. Every batch is synced: LevelDB does not promise that a later
 * synced write makes earlier unsynced ones durable (a full memtable starts a new log file that
 * a later sync does not cover), and the switch must only ever point at a store that is whole.
 * Records that belong to the sender alone (keys.ts isLocalRecord) are dropped.
 *
 * Speed without giving up a sync: batches are sized by bytes (a few MiB, so a synced write costs
 * one fsync per few MiB rather than per thousand records), and one batch is written while the
 * next is decoded, so the fsync and the decoding overlap. `fill` resolves only once every batch
 * is written and synced. Between pieces it yields to the event loop, so a stream whose pieces are
 * already buffered does not hold the loop for more than a piece's work.
 */
import { KvError } from '../util/errors.js';
import { decodeChunks } from './backend-chunks.js';
import type { Backend, BucketName } from './backend.js';
import { KvBackend } from './kv-backend.js';
import { isLocalRecord } from './keys.js';
import { startBatch, type OrderedKv } from './kv.js';
import { SealedSlab } from './sealed-slab.js';

/** Bytes of records per synced batch (the bound on what is held per batch, two at a time). */
export const STAGE_BATCH_BYTES = 4 << 20;
/** Records staged between two yields to the event loop (a few ms of work; one transport piece). */
const RECORDS_PER_SLICE = 512;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Sees every record staged, in stream order (the member builds its key index from them). */
export type StagedRecordSink = (bucket: BucketName, key: Uint8Array, value: Uint8Array) => void;

export class StagedStore {
  /** Bytes of records written so far. */
  bytes = 0;

  constructor(
    readonly name: string,
    readonly kv: OrderedKv,
    private readonly onDiscard: (s: StagedStore) => Promise<void>,
  ) {}

  /** Writes every record of a chunk stream; NoSpace past `maxBytes` of records (the quota). */
  async fill(chunks: AsyncIterable<Uint8Array>, maxBytes: number, onRecord?: StagedRecordSink): Promise<void> {
    const slab = new SealedSlab();
    let batch = startBatch(this.kv);
    let batchBytes = 0;
    let sinceYield = 0;
    // The batch being written while the next one is built; awaited before another starts, so
    // at most two batches are held, and a failed write stops the fill at the next batch.
    let writing: Promise<void> = Promise.resolve();
    try {
      for await (const records of decodeChunks(chunks)) {
        for (const [bucket, key, value] of records) {
          if (isLocalRecord(bucket, key)) continue;
          onRecord?.(bucket, key, value);
          const op = slab.put(bucket, key, value);
          const size = op.key.length + op.value.length;
          this.bytes += size;
          if (this.bytes > maxBytes) throw new KvError('NoSpace', `cairn: incoming snapshot exceeds ${maxBytes} bytes`);
          batch.put(op.key, op.value);
          batchBytes += size;
          if (batchBytes >= STAGE_BATCH_BYTES) {
            await writing;
            writing = batch.write({ sync: true });
            // Handled here (a failure while the next piece is awaited is not "unhandled"); the
            // error itself surfaces at the next `await writing`.
            writing.catch(() => undefined);
            batch = startBatch(this.kv);
            batchBytes = 0;
          }
        }
        sinceYield += records.length;
        if (sinceYield >= RECORDS_PER_SLICE) {
          sinceYield = 0;
          await yieldToEventLoop();
        }
      }
    } finally {
      // Never leave a write running behind a failure (the caller discards the store next).
      await writing.catch(() => undefined);
    }
    await writing;
    await batch.write({ sync: true });
  }

  /** A read view of what was staged (to prepare from it before the switch). */
  backend(): Backend {
    return new KvBackend(this.kv);
  }

  /** Closes and removes the store (a stale, superseded or failed staging). */
  discard(): Promise<void> {
    return this.onDiscard(this);
  }
}
