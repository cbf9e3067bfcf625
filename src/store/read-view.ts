/**
 * Reading values for index entries from the backend. Values are fetched by revision, a bounded
 * number at a time; each record is checked against the index entry it was read for.
 */
import type { Backend } from '../storage/backend.js';
import { KvError } from '../util/errors.js';
import { decodeRecord } from './records.js';
import { encodeRevKey } from './revision.js';
import { indexKey, type KeySpan, type RangeEntry, type TreeIndex } from './tree-index.js';
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
  for (let i = 0; i < entries.length; i += FETCH_BATCH) {
    const step = entries.slice(i, i + FETCH_BATCH);
    const toRead: number[] = [];
    step.forEach((e, j) => {
      const p = pending !== undefined && e.modified.main === pending.main ? pending.bySub.get(e.modified.sub) : undefined;
      if (p !== undefined) out[i + j] = p;
      else toRead.push(j);
    });
    if (toRead.length === 0) continue;
    const values = await backend.getMany('key', toRead.map((j) => encodeRevKey((step[j] as RangeEntry).modified)));
    toRead.forEach((j, n) => {
      out[i + j] = checked(step[j] as RangeEntry, values[n], compactedRevision);
    });
  }
  return out;
}

function checked(e: RangeEntry, bytes: Uint8Array | undefined, compactedRevision: () => number): KeyValue {
  if (bytes === undefined) {
    // A compaction that started after this read looked at the index may have removed it.
    if (e.modified.main < compactedRevision()) throw new KvError('Compacted');
    throw new KvError('StorageCorrupt', `cairn: revision ${e.modified.main}.${e.modified.sub} is in the index but not in the backend`);
  }
  const kv = decodeRecord(bytes);
  if (indexKey(kv.key) !== e.key || kv.modRevision !== e.modified.main || kv.version !== e.version || kv.createRevision !== e.created.main) {
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
