/**
 * KvStore: etcd's MVCC key-value store as a deterministic state machine over a Backend.
 *
 * - One global revision, starting at 1; each write txn that changes something takes the next one.
 * - The key index (keys → revisions) lives in memory and is rebuilt from the key bucket on open;
 *   values stay in the backend.
 * - Writes (put, deleteRange, txn with writes, compact) must be applied one at a time, as the
 *   member's apply loop does; each writes ONE backend batch that also carries the caller's `extra`
 *   ops (the applied index). Reads and read-only txns may run at any time.
 * - A request that fails validation throws a KvError, writes nothing (not even `extra`) and
 *   consumes no revision.
 * - After a write is durable, lease hooks are told of attach/detach and commit listeners get
 *   (revision, events). Events carry no prevKv: the watch hub asks getAt(key, rev - 1).
 */
import type { Backend, BackendOp, BackendSnapshot } from '../storage/backend.js';
import { assert } from '../util/assert.js';
import { KvError, isKvError } from '../util/errors.js';
import type { Clock } from '../util/clock.js';
import { compactionPacer } from './compaction-pacer.js';
import { Compactor, FINISHED_COMPACT_KEY, SCHEDULED_COMPACT_KEY, scheduledCompactOp } from './compaction.js';
import { hashKeyBucket } from './hash.js';
import { readHistory } from './history.js';
import { WriteTxn } from './kv-txn.js';
import { checkDeleteRange, checkPut, checkRange, checkTxn } from './kv-validate.js';
import { executeRange } from './range.js';
import { responseTooLarge, type RangeLimits } from './range-size.js';
import { CommittedView, fetchValues } from './read-view.js';
import { decodeUint64 } from './revision.js';
import { rebuildIndex, type RebuiltIndex } from './index-rebuild.js';
import { loadIndexImage } from './index-image-load.js';
import { IndexImageWriter, type ImageWriterOptions } from './index-image-writer.js';
import type { ImageHeader } from './index-image.js';
import { indexKey, keyBytes, TreeIndex } from './tree-index.js';
import { LiveKeys } from './live-keys.js';
import { applyTxn, checkLease, checkPath, TxnResponseBound, txnPath } from './txn.js';
import type { CommitListener, Event, KeyValue, LeaseHooks, WatchSource } from './types.js';
import type {
  CompactResponse, DeleteRangeRequest, DeleteRangeResponse, HashKVResponse, PutRequest, PutResponse,
  RangeRequest, RangeResponse, RequestOp, TxnRequest, TxnResponse,
} from './requests.js';

export interface KvStoreOptions {
  /** etcd's --max-txn-ops (128). */
  readonly maxTxnOps?: number;
  /** cairn's --max-response-bytes: what one txn's ranges may return (unbounded if absent). */
  readonly maxResponseBytes?: number;
  /** The lessor; without it a put with a lease fails with LeaseNotFound. */
  readonly leases?: LeaseHooks;
  /** Keys/records per compaction batch (1000). */
  readonly compactionBatchSize?: number;
  /** How background work yields between batches (setImmediate; compaction's backend batches: see below). */
  readonly yieldBetweenBatches?: () => Promise<void>;
  /** A member's clock: compaction's backend batches and the index image's chunks are then paced on it (compaction-pacer.ts). */
  readonly clock?: Clock;
  /** fsync each write batch (off: the WAL's synced batch makes earlier writes durable). */
  readonly syncWrites?: boolean;
  /**
   * The persisted key index image (index-image-writer.ts): when to write it, or false for none
   * (open then always rebuilds, and an image already in the backend is ignored).
   */
  readonly indexImage?: ImageWriterOptions | false;
}

/**
 * Runs a hook after a write is durable. The write stands whatever the hook does, so a hook's
 * failure (its own bug) must not look like a failed apply: it is rethrown on its own, uncaught.
 */
function afterDurable(hook: () => void): void {
  try {
    hook();
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function isReadOnly(ops: readonly RequestOp[] | undefined): boolean {
  return (ops ?? []).every((op) => op.type === 'range' || (op.type === 'txn' && isTxnReadOnly(op.request)));
}

export function isTxnReadOnly(r: TxnRequest): boolean {
  return isReadOnly(r.success) && isReadOnly(r.failure);
}

/** etcd's isTxnSerializable: every range in it, nested ones included, is serializable. */
export function isTxnSerializable(r: TxnRequest): boolean {
  const ok = (op: RequestOp): boolean => (op.type === 'range' ? op.request.serializable === true : op.type !== 'txn' || isTxnSerializable(op.request));
  return (r.success ?? []).every(ok) && (r.failure ?? []).every(ok);
}

export class KvStore implements WatchSource {
  private index = new TreeIndex();
  /** Counts of keys alive at `current`, kept beside the index it describes. */
  private live = new LiveKeys(this.index);
  private current = 1;
  private compacted = 0;
  private writing = false;
  private closed = false;
  private compactor: Compactor;
  private leases: LeaseHooks | undefined;
  private readonly listeners = new Set<CommitListener>();
  private readonly maxTxnOps: number;
  private readonly yieldNow: () => Promise<void>;
  private imageWriter: IndexImageWriter | undefined;
  /** Bumped whenever the contents are replaced or the store closes: an image being written is abandoned. */
  private epoch = 0;

  private constructor(private readonly backend: Backend, private readonly options: KvStoreOptions) {
    this.maxTxnOps = options.maxTxnOps ?? 128;
    this.leases = options.leases;
    this.yieldNow = options.yieldBetweenBatches ?? yieldToEventLoop;
    this.compactor = this.newCompactor();
  }

  /** Opens the store over `backend`, rebuilding the key index and resuming an unfinished compaction. */
  static async open(backend: Backend, options: KvStoreOptions = {}): Promise<KvStore> {
    const store = new KvStore(backend, options);
    await store.load();
    return store;
  }

  currentRevision(): number {
    return this.current;
  }

  compactedRevision(): number {
    return this.compacted;
  }

  /** Number of keys in the index (live or with history). */
  indexedKeys(): number {
    return this.index.size;
  }

  /** Sets the lessor (it may be built after the store). */
  setLeaseHooks(leases: LeaseHooks | undefined): void {
    this.leases = leases;
  }

  /** Subscribes to committed writes; returns the unsubscribe function. */
  onCommit(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** `limits`: a client's range, bounded in size and charged to the member's budget. */
  async range(r: RangeRequest, limits?: RangeLimits): Promise<RangeResponse> {
    this.checkOpen();
    checkRange(r);
    return executeRange(this.committedView(), r, limits);
  }

  async put(r: PutRequest, extra: readonly BackendOp[] = []): Promise<PutResponse> {
    checkPut(r);
    return this.write(extra, (txn) => {
      checkLease(r.lease ?? 0, this.leases);
      return txn.put(r);
    });
  }

  async deleteRange(r: DeleteRangeRequest, extra: readonly BackendOp[] = []): Promise<DeleteRangeResponse> {
    checkDeleteRange(r);
    return this.write(extra, (txn) => txn.deleteRange(r, this.options.maxResponseBytes ?? Infinity));
  }

  /**
   * Deletes `keys` in ONE revision and ONE backend batch with `extra`, for the lease revoke path
   * (etcd's lessor.Revoke runs its own txn, bound by no --max-txn-ops: this is internal, so there
   * is no limit here either). Watchers see the DELETEs at that one revision like any txn's; keys
   * already gone are skipped, and if none is left no revision is taken (`extra` is still written).
   */
  async deleteKeys(keys: readonly Uint8Array[], extra: readonly BackendOp[] = []): Promise<DeleteRangeResponse> {
    return this.write(extra, (txn) => txn.deleteKeys(keys));
  }

  async txn(r: TxnRequest, extra: readonly BackendOp[] = []): Promise<TxnResponse> {
    checkTxn(r, this.maxTxnOps);
    const run = async (txn: WriteTxn): Promise<TxnResponse> => {
      const path = await txnPath(txn, r);
      await checkPath(txn, r, path, this.leases);
      return applyTxn(txn, r, path, new TxnResponseBound(this.options.maxResponseBytes ?? Infinity));
    };
    if (extra.length === 0 && isTxnReadOnly(r)) {
      // etcd serves read-only txns like ranges: no write, no apply-order constraint, and a
      // response too large is an error with nothing done.
      this.checkOpen();
      const res = await run(this.newTxn());
      if (res.tooLarge !== undefined) throw responseTooLarge(res.tooLarge, this.options.maxResponseBytes ?? Infinity);
      return res;
    }
    return this.write(extra, run);
  }

  /**
   * Compacts history below `rev` (etcd: compacted < rev <= current). Returns once the compaction
   * is recorded; `physical` resolves when the backend has dropped the old revisions.
   */
  async compact(rev: number, extra: readonly BackendOp[] = []): Promise<CompactResponse> {
    if (!Number.isSafeInteger(rev)) throw new KvError('InvalidArgument', 'cairn: invalid compaction revision');
    if (rev <= this.compacted) throw new KvError('Compacted');
    if (rev > this.current) throw new KvError('FutureRev');
    await this.write(extra, async () => undefined, [scheduledCompactOp(rev)]);
    this.compacted = rev;
    const physical = this.compactor.schedule(rev);
    physical.catch(() => undefined); // the caller may not wait; a failure is seen by whoever does
    return { revision: this.current, physical };
  }

  /** etcd's HashKV: 0 hashes at the current revision. */
  async hash(rev = 0): Promise<HashKVResponse> {
    this.checkOpen();
    const compacted = this.compacted;
    if (rev > 0 && rev <= compacted) throw new KvError('Compacted');
    if (rev > this.current) throw new KvError('FutureRev');
    const at = rev > 0 ? rev : this.current;
    const snap = await this.backend.snapshot();
    let hash: number;
    try {
      hash = await hashKeyBucket(snap, this.index, at, compacted, this.yieldNow);
    } finally {
      await snap.release();
    }
    // A compaction that started meanwhile changes which old records count: ask again.
    if (this.compacted !== compacted) throw new KvError('Compacted');
    return { hash, revision: this.current, compactRevision: compacted };
  }

  /** A point-in-time copy of the whole backend (take it between applies; release it when done). */
  snapshot(): Promise<BackendSnapshot> {
    this.checkOpen();
    assert(!this.writing, 'KvStore: snapshot taken while a write is being applied');
    return this.backend.snapshot();
  }

  /**
   * Replaces the whole state with a snapshot's chunks and reloads. `afterBackendRestore` runs
   * before the index is rebuilt and leases re-attached (the lessor reloads its bucket there).
   */
  async restore(chunks: AsyncIterable<Uint8Array>, afterBackendRestore?: () => Promise<void>): Promise<void> {
    return this.replaceBackend(() => this.backend.restore(chunks), afterBackendRestore);
  }

  /**
   * Like restore, for a backend whose contents `replace` swaps wholesale (a data dir switching
   * to a staged store): background writes stop first, and everything is reloaded after.
   * `prebuilt` is the key index of the new contents, built beforehand (rebuildIndex over the
   * staged store) so the reload need not scan the key bucket while raft waits.
   */
  async replaceBackend(replace: () => Promise<void>, afterBackendRestore?: () => Promise<void>, prebuilt?: RebuiltIndex): Promise<void> {
    this.checkOpen();
    assert(!this.writing, 'KvStore: restore while a write is being applied');
    this.writing = true;
    this.epoch++;
    try {
      await this.compactor.stop();
      await replace();
      await afterBackendRestore?.();
      await this.load(prebuilt);
    } finally {
      this.writing = false;
    }
  }

  /** Every live key with a lease, as [lease, key]. */
  *leasedKeys(): IterableIterator<[number, Uint8Array]> {
    for (const [lease, key] of this.index.leasedKeys()) yield [lease, keyBytes(key)];
  }

  async readEvents(fromRev: number, toRev: number, maxEvents: number, maxBytes?: number): Promise<Event[]> {
    this.checkOpen();
    if (fromRev < this.compacted) throw new KvError('Compacted');
    return readHistory(this.backend, Math.max(fromRev, 1), Math.min(toRev, this.current), maxEvents, maxBytes);
  }

  async getAt(key: Uint8Array, rev: number): Promise<KeyValue | undefined> {
    this.checkOpen();
    if (rev < this.compacted || rev > this.current || rev <= 0) return undefined;
    const k = indexKey(key);
    const hit = this.index.get(k, rev);
    if (hit === undefined) return undefined;
    try {
      return (await fetchValues(this.backend, [{ key: k, ...hit }], () => this.compacted))[0];
    } catch (err) {
      if (isKvError(err, 'Compacted')) return undefined;
      throw err;
    }
  }

  /** Stops background compaction (it resumes on the next open). The backend stays open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.epoch++;
    await this.compactor.stop();
  }

  /** Resolves when queued compactions (including one resumed on open) have finished. */
  compactionsIdle(): Promise<void> {
    return this.compactor.idle();
  }

  /** Compaction jobs queued or running (tests and metrics). */
  pendingCompactions(): number {
    return this.compactor.pending();
  }

  private committedView(): CommittedView {
    return new CommittedView(this.index, this.current, this.backend, () => this.compacted, this.live);
  }

  private newTxn(): WriteTxn {
    return new WriteTxn(this.index, this.backend, this.current, () => this.compacted, this.live);
  }

  private newCompactor(): Compactor {
    return new Compactor(this.backend, this.index, {
      batchSize: this.options.compactionBatchSize ?? 1000,
      yieldBetweenBatches: this.yieldNow,
      ...(this.options.clock === undefined ? {} : { deletePacer: compactionPacer(this.options.clock) }),
      afterIndexBatch: (after, last) => this.live.pruneRemoved(after, last),
    });
  }

  private checkOpen(): void {
    if (this.closed) throw new KvError('Stopped');
  }

  /** One write txn: body, then ONE backend batch, then revision, lease hooks and listeners. */
  private async write<T>(extra: readonly BackendOp[], body: (txn: WriteTxn) => Promise<T>, more: readonly BackendOp[] = []): Promise<T> {
    this.checkOpen();
    assert(!this.writing, 'KvStore: writes must be applied one at a time');
    this.writing = true;
    const txn = this.newTxn();
    let result: T;
    try {
      result = await body(txn);
      const ops = [...txn.backendOps(), ...more, ...extra];
      if (ops.length > 0) await this.backend.write(ops, { sync: this.options.syncWrites ?? false });
    } catch (err) {
      txn.revert();
      throw err;
    } finally {
      this.writing = false;
    }
    if (txn.changed) this.committed(txn);
    return result;
  }

  private committed(txn: WriteTxn): void {
    this.current = txn.beginRev + 1;
    this.live.settle(txn.touchedKeys(), this.current);
    if (this.imageWriter !== undefined) {
      let records = 0;
      for (const _ of txn.touchedKeys()) records++;
      this.imageWriter.noteRecords(records);
    }
    for (const c of txn.leaseChanges) {
      afterDurable(() => (c.type === 'detach' ? this.leases?.detach(c.lease, c.key) : this.leases?.attach(c.lease, c.key)));
    }
    for (const listener of this.listeners) afterDurable(() => listener(this.current, txn.events));
  }

  /** Rebuilds everything in memory from the backend (etcd's store.restore). */
  private async load(prebuilt?: RebuiltIndex): Promise<void> {
    const finished = await this.readMeta(FINISHED_COMPACT_KEY, 'finishedCompactRev');
    const scheduled = await this.readMeta(SCHEDULED_COMPACT_KEY, 'scheduledCompactRev');
    const image = this.options.indexImage === false || prebuilt !== undefined ? undefined : await loadIndexImage(this.backend, finished);
    const { index, maxRevision, deletedKeys, leasedKeys } = prebuilt ?? image ?? (await rebuildIndex(this.backend));
    this.index = index;
    this.newImageWriter(image?.header, image === undefined ? index.size : 0);
    this.live = new LiveKeys(index, deletedKeys);
    // Compaction may have removed the newest records (all tombstones): the revision is at least that.
    this.current = Math.max(1, maxRevision, finished, scheduled);
    this.compacted = finished;
    this.compactor = this.newCompactor();
    if (scheduled > finished) {
      this.compacted = scheduled;
      this.compactor.schedule(scheduled, true).catch(() => undefined);
    }
    if (this.leases !== undefined) for (const [lease, key] of leasedKeys ?? this.index.leasedKeys()) this.leases.attach(lease, keyBytes(key));
  }

  /**
   * `owed`: records a reload replayed without an image; the next write then starts one (not the
   * open itself: a restarting member should serve first).
   */
  private newImageWriter(current: ImageHeader | undefined, owed: number): void {
    if (this.options.indexImage === false) return;
    const source = {
      index: () => this.index,
      revision: () => this.current,
      compacted: () => this.compacted,
      busy: () => this.writing || this.compactor.pending() > 0,
      epoch: () => this.epoch,
    };
    // Paced like compaction on a member's clock: back-to-back chunks held requests (issue 18).
    const clock = this.options.clock;
    const pacer = clock === undefined ? () => this.yieldNow : compactionPacer(clock);
    this.imageWriter = new IndexImageWriter(this.backend, source, pacer, current, this.options.indexImage);
    this.imageWriter.owe(owed);
  }

  /** Writes a key index image now (tests); resolves true if it completed. */
  writeIndexImage(): Promise<boolean> {
    return this.imageWriter?.write() ?? Promise.resolve(false);
  }

  /** Resolves when no key index image is being written. */
  async indexImageIdle(): Promise<void> {
    await this.imageWriter?.idle();
  }

  private async readMeta(key: Uint8Array, what: string): Promise<number> {
    const v = await this.backend.get('meta', key);
    return v === undefined ? 0 : decodeUint64(v, what);
  }
}
