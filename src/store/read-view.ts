/**
 * Reading values for index entries from the backend. Values are fetched by revision, a bounded
 * number at a time; each record is checked against the index entry it was read for.
 */
import type { Backend } from '../storage/backend.js';
import { KvError } from '../util/errors.js';
import { decodeRecord } from './records.js';
import { encodeRevKey } from './revision.js';
import { isIndexKeyOf, type KeySpan, type RangeEntry, type TreeIndex } from './tree-index.js';
import type { LiveKeys } from './live-keys.js';
import type { ReadView } from './range.js';
import type { KeyValue } from './types.js';

/** Values read per backend call: one LevelDB job for many keys, bounded for memory. */
const FETCH_BATCH = 256;

/** A change not yet written: the txn's records by `sub`, all at main revision `main`. */
export interface Pending {
  readonly main: number;
  readonly bySub: ReadonlyMap<number, KeyValue>;
}

export async function fetchValues(
  backend: Backend,
  entries: readonly RangeEntry[],
  compactedRevision: () => number,
  pending?: Pending,
): Promise<KeyValue[]> {
  const out: KeyValue[] = new Array<KeyValue>(entries.length);
  // One batch is read ahead while the previous one is checked and decoded: LevelDB's lookups run
  // on the thread pool, so a long range keeps both busy (at most two batches held).
  let next: Promise<BatchRead> | undefined = readBatch(backend, entries, 0, out, pending);
  for (let i = 0; i < entries.length; i += FETCH_BATCH) {
    const current = next;
    if (current === undefined) break;
    next = i + FETCH_BATCH < entries.length ? readBatch(backend, entries, i + FETCH_BATCH, out, pending) : undefined;
    const { toRead, values } = await current;
    toRead.forEach((at, n) => {
      out[at] = checked(entries[at] as RangeEntry, values[n], compactedRevision);
    });
  }
  return out;
}

interface BatchRead {
  /** Positions in `entries` read from the backend, and their values in the same order. */
  readonly toRead: readonly number[];
  readonly values: ReadonlyArray<Uint8Array | undefined>;
}

/** Starts reading the batch at `from`; values a pending txn holds go straight to `out`. */
function readBatch(backend: Backend, entries: readonly RangeEntry[], from: number, out: KeyValue[], pending: Pending | undefined): Promise<BatchRead> {
  const toRead: number[] = [];
  const end = Math.min(from + FETCH_BATCH, entries.length);
  for (let at = from; at < end; at++) {
    const e = entries[at] as RangeEntry;
    const p = pending !== undefined && e.modified.main === pending.main ? pending.bySub.get(e.modified.sub) : undefined;
    if (p !== undefined) out[at] = p;
    else toRead.push(at);
  }
  if (toRead.length === 0) return Promise.resolve({ toRead, values: [] });
  const read = backend.getMany('key', toRead.map((at) => encodeRevKey((entries[at] as RangeEntry).modified))).then((values) => ({ toRead, values }));
  // A read ahead is awaited only if the batch before it checks out; its failure must not go unhandled.
  read.catch(() => undefined);
  return read;
}

function checked(e: RangeEntry, bytes: Uint8Array | undefined, compactedRevision: () => number): KeyValue {
  if (bytes === undefined) {
    // A compaction that started after this read looked at the index may have removed it.
    if (e.modified.main < compactedRevision()) throw new KvError('Compacted');
    throw new KvError('StorageCorrupt', `cairn: revision ${e.modified.main}.${e.modified.sub} is in the index but not in the backend`);
  }
  const kv = decodeRecord(bytes);
  if (!isIndexKeyOf(e.key, kv.key) || kv.modRevision !== e.modified.main || kv.version !== e.version || kv.createRevision !== e.created.main) {
    throw new KvError('StorageCorrupt', `cairn: record at revision ${e.modified.main}.${e.modified.sub} does not match the key index`);
  }
  return kv;
}

/** Reads of committed state at the store's current revision. */
export class CommittedView implements ReadView {
  constructor(
    readonly index: TreeIndex,
    readonly rev: number,
    private readonly backend: Backend,
    readonly compactedRevision: () => number,
    private readonly live?: LiveKeys,
  ) {}

  countAlive(span: KeySpan): number | undefined {
    return this.live?.count(span, this.rev);
  }

  fetch(entries: readonly RangeEntry[]): Promise<KeyValue[]> {
    return fetchValues(this.backend, entries, this.compactedRevision);
  }
}
