/**
 * One write transaction (etcd's storeTxnWrite): every change gets main revision beginRev + 1 and
 * the next `sub`. Changes go into the key index at once — invisible to other readers, who read
 * at the committed revision — and their records wait here until the store writes them in one
 * backend batch. Reads inside the txn see its earlier writes. If the batch never lands, revert()
 * takes the index back.
 */
import type { Backend, BackendOp } from '../storage/backend.js';
import { KvError } from '../util/errors.js';
import { encodeRecord, tombstoneKv } from './records.js';
import { encodeRevKey } from './revision.js';
import { executeRange, type ReadView } from './range.js';
import { kvFieldSize } from './range-size.js';
import { fetchValues, type Pending } from './read-view.js';
import { indexKey, keyBytes, spanOf, type RangeEntry, type TreeIndex } from './tree-index.js';
import type { LiveKeys } from './live-keys.js';
import type { Event, KeyValue } from './types.js';
import type { DeleteRangeRequest, DeleteRangeResponse, PutRequest, PutResponse, RangeRequest, RangeResponse } from './requests.js';

/** Previous values read at a time for a bounded prev_kv delete. */
const PREV_KV_CHUNK = 256;

const EMPTY = new Uint8Array(0);

export type LeaseChange = { readonly type: 'attach' | 'detach'; readonly lease: number; readonly key: Uint8Array };

export class WriteTxn implements ReadView {
  readonly events: Event[] = [];
  readonly leaseChanges: LeaseChange[] = [];
  private readonly ops: BackendOp[] = [];
  private readonly pending = new Map<number, KeyValue>();
  /** Keys this txn changed in the index, with the lease each held before. */
  private readonly touched = new Map<string, number>();

  constructor(
    readonly index: TreeIndex,
    private readonly backend: Backend,
    readonly beginRev: number,
    readonly compactedRevision: () => number,
    private readonly live?: LiveKeys,
  ) {}

  /** Reads see beginRev until the first change, then this txn's own revision (etcd's tw.Range). */
  get rev(): number {
    return this.events.length > 0 ? this.beginRev + 1 : this.beginRev;
  }

  get changed(): boolean {
    return this.events.length > 0;
  }

  fetch(entries: readonly RangeEntry[]): Promise<KeyValue[]> {
    const pending: Pending = { main: this.beginRev + 1, bySub: this.pending };
    return fetchValues(this.backend, entries, this.compactedRevision, pending);
  }

  range(r: RangeRequest): Promise<RangeResponse> {
    return executeRange(this, r);
  }

  async put(r: PutRequest): Promise<PutResponse> {
    const key = indexKey(r.key);
    const hit = this.index.get(key, this.rev);
    let prev: KeyValue | undefined;
    if (hit !== undefined && (r.ignoreValue || r.ignoreLease || r.prevKv)) {
      prev = (await this.fetch([{ key, ...hit }]))[0];
    }
    if ((r.ignoreValue || r.ignoreLease) && prev === undefined) throw new KvError('KeyNotFound');
    const value = r.ignoreValue && prev !== undefined ? prev.value : (r.value ?? EMPTY);
    const lease = r.ignoreLease && prev !== undefined ? prev.lease : (r.lease ?? 0);

    const main = this.beginRev + 1;
    const revision = { main, sub: this.events.length };
    const ki = this.touch(key);
    const oldLease = hit !== undefined ? ki.lease : 0;
    const kv: KeyValue = {
      key: r.key.slice(),
      createRevision: hit !== undefined ? hit.created.main : main,
      modRevision: main,
      version: (hit?.version ?? 0) + 1,
      value: value.slice(),
      lease,
    };
    ki.put(revision);
    ki.lease = lease;
    this.ops.push({ type: 'put', bucket: 'key', key: encodeRevKey(revision), value: encodeRecord(kv) });
    this.pending.set(revision.sub, kv);
    this.events.push({ type: 'PUT', kv });
    // etcd's put: detach the old lease, attach the new (both, even when they are the same).
    if (oldLease !== 0) this.leaseChanges.push({ type: 'detach', lease: oldLease, key: kv.key });
    if (lease !== 0) this.leaseChanges.push({ type: 'attach', lease, key: kv.key });
    return r.prevKv && prev !== undefined ? { revision: main, prevKv: prev } : { revision: main };
  }

  /**
   * `maxPrevBytes` bounds the prev_kv answer (issue 15): values are read a chunk at a time and
   * dropped once they pass it, so a delete of a huge range never holds them all. The deletes do
   * not depend on it: every member applies the same ones whatever its bound.
   */
  async deleteRange(r: DeleteRangeRequest, maxPrevBytes = Infinity): Promise<DeleteRangeResponse> {
    const { entries } = this.index.range(spanOf(r.key, r.rangeEnd), this.rev);
    const prev = r.prevKv ? await this.fetchBounded(entries, maxPrevBytes) : { kvs: [] };
    const prevKvs = prev.kvs;
    const main = this.beginRev + 1;
    for (const e of entries) {
      const revision = { main, sub: this.events.length };
      const ki = this.touch(e.key);
      const lease = ki.lease;
      ki.tombstone(revision);
      const kv = tombstoneKv(keyBytes(e.key), main);
      this.ops.push({ type: 'put', bucket: 'key', key: encodeRevKey(revision, true), value: encodeRecord(kv) });
      this.events.push({ type: 'DELETE', kv });
      if (lease !== 0) this.leaseChanges.push({ type: 'detach', lease, key: kv.key });
    }
    return { revision: this.rev, deleted: entries.length, prevKvs, ...(prev.tooLarge === undefined ? {} : { tooLarge: prev.tooLarge }) };
  }

  private async fetchBounded(entries: readonly RangeEntry[], maxBytes: number): Promise<{ kvs: KeyValue[]; tooLarge?: number }> {
    if (maxBytes === Infinity) return { kvs: await this.fetch(entries) };
    const kvs: KeyValue[] = [];
    let bytes = 0;
    for (let i = 0; i < entries.length; i += PREV_KV_CHUNK) {
      for (const kv of await this.fetch(entries.slice(i, i + PREV_KV_CHUNK))) {
        bytes += kvFieldSize(kv, false);
        if (bytes > maxBytes) return { kvs: [], tooLarge: bytes };
        kvs.push(kv);
      }
    }
    return { kvs };
  }

  /**
   * Deletes each of `keys` that exists (etcd's lease revoke: one DeleteRange per key in one txn).
   * A key listed twice or already gone deletes nothing. No prev_kv.
   */
  async deleteKeys(keys: readonly Uint8Array[]): Promise<DeleteRangeResponse> {
    let deleted = 0;
    for (const key of keys) deleted += (await this.deleteRange({ key })).deleted;
    return { revision: this.rev, deleted, prevKvs: [] };
  }

  /** The backend ops of every change, in revision order. */
  backendOps(): readonly BackendOp[] {
    return this.ops;
  }

  /** Keys this txn changed in the index. */
  touchedKeys(): Iterable<string> {
    return this.touched.keys();
  }

  /** Takes the key index back to beginRev (the batch was not written). */
  revert(): void {
    const main = this.beginRev + 1;
    for (const [key, lease] of this.touched) {
      const ki = this.index.keyIndex(key);
      if (ki === undefined) continue;
      ki.revertMain(main, lease);
      if (ki.isEmpty()) this.index.remove(key);
    }
    this.live?.settle(this.touched.keys(), this.beginRev);
    this.touched.clear();
  }

  private touch(key: string) {
    const ki = this.index.getOrCreate(key);
    // Only a key just created is empty in the index (compaction and revert remove empty ones).
    if (ki.isEmpty()) this.live?.creating(key);
    if (!this.touched.has(key)) this.touched.set(key, ki.lease);
    return ki;
  }
}
