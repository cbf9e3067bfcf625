/**
 * A store being filled with a received snapshot, beside the member's active store (data-dir.ts
 * installs it). The stream is written as it arrives, in bounded batches, so memory stays bounded
 * whatever the snapshot's size. Every batch is synced: LevelDB does not promise that a later
 * synced write makes earlier unsynced ones durable (a full memtable starts a new log file that
 * a later sync does not cover), and the switch must only ever point at a store that is whole.
 * Records that belong to the sender alone (keys.ts isLocalRecord) are dropped.
 */
import { KvError } from '../util/errors.js';
import { decodeChunks } from './backend-chunks.js';
import type { Backend } from './backend.js';
import { KvBackend, RESTORE_BATCH, RESTORE_BATCH_BYTES, putOp } from './kv-backend.js';
import { isLocalRecord } from './keys.js';
import type { KvOp, OrderedKv } from './kv.js';

export class StagedStore {
  /** Bytes of records written so far. */
  bytes = 0;

  constructor(
    readonly name: string,
    readonly kv: OrderedKv,
    private readonly onDiscard: (s: StagedStore) => Promise<void>,
  ) {}

  /** Writes every record of a chunk stream; NoSpace past `maxBytes` of records (the quota). */
  async fill(chunks: AsyncIterable<Uint8Array>, maxBytes: number): Promise<void> {
    let ops: KvOp[] = [];
    let batchBytes = 0;
    for await (const records of decodeChunks(chunks)) {
      for (const [bucket, key, value] of records) {
        if (isLocalRecord(bucket, key)) continue;
        const op = putOp(bucket, key, value);
        const size = op.key.length + (op.type === 'put' ? op.value.length : 0);
        this.bytes += size;
        if (this.bytes > maxBytes) throw new KvError('NoSpace', `cairn: incoming snapshot exceeds ${maxBytes} bytes`);
        ops.push(op);
        batchBytes += size;
        if (ops.length >= RESTORE_BATCH || batchBytes >= RESTORE_BATCH_BYTES) {
          await this.kv.batch(ops, { sync: true });
          ops = [];
          batchBytes = 0;
        }
      }
    }
    await this.kv.batch(ops, { sync: true });
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
