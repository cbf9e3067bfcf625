/**
 * Range over a read view (etcd's applierV3backend.Range over mvcc rangeKeys): revision checks,
 * count, min/max filters, sort, limit, keys_only and count_only. Filters and sorts other than by
 * value run on the index alone, so only the returned keys' values are read from the backend.
 */
import { KvError } from '../util/errors.js';
import { compareBytes } from '../util/bytes.js';
import { assertNever } from '../util/assert.js';
import { spanOf, type KeySpan, type RangeEntry, type TreeIndex } from './tree-index.js';
import type { KeyValue } from './types.js';
import type { RangeRequest, RangeResponse, SortTarget } from './requests.js';
import { INDEX_ENTRY_HELD_BYTES, KV_HELD_OVERHEAD_BYTES, kvFieldSize, rangeResponseSize, responseTooLarge, type RangeLimits } from './range-size.js';

/** Entries whose values are read, measured and charged at a time under RangeLimits. */
const LIMITED_FETCH_CHUNK = 1024;

export interface ReadView {
  readonly index: TreeIndex;
  /** The revision reads default to and the response header carries. */
  readonly rev: number;
  compactedRevision(): number;
  /** Keys alive at `rev` in the span without visiting them, where the view can tell (else undefined). */
  countAlive?(span: KeySpan): number | undefined;
  /** Values of index entries, in order (backend reads, or a write txn's pending changes). */
  fetch(entries: readonly RangeEntry[]): Promise<KeyValue[]>;
}

const EMPTY = new Uint8Array(0);

/** The revision a read at `requested` (<= 0: current) runs at, or etcd's future/compacted error. */
export function readRevision(requested: number | undefined, current: number, compacted: number): number {
  const r = requested ?? 0;
  if (r > current) throw new KvError('FutureRev');
  const at = r <= 0 ? current : r;
  if (at < compacted) throw new KvError('Compacted');
  return at;
}

function byTarget(target: SortTarget): (a: RangeEntry, b: RangeEntry) => number {
  switch (target) {
    case 'KEY': return (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    case 'VERSION': return (a, b) => a.version - b.version;
    case 'CREATE': return (a, b) => a.created.main - b.created.main;
    case 'MOD': return (a, b) => a.modified.main - b.modified.main;
    case 'VALUE': throw new Error('value sort needs values');
    default: return assertNever(target, 'sort target');
  }
}

function filtered(entries: RangeEntry[], r: RangeRequest): RangeEntry[] {
  const minMod = r.minModRevision ?? 0;
  const maxMod = r.maxModRevision ?? 0;
  const minCreate = r.minCreateRevision ?? 0;
  const maxCreate = r.maxCreateRevision ?? 0;
  if (minMod === 0 && maxMod === 0 && minCreate === 0 && maxCreate === 0) return entries;
  return entries.filter(
    (e) =>
      (maxMod === 0 || e.modified.main <= maxMod) &&
      (minMod === 0 || e.modified.main >= minMod) &&
      (maxCreate === 0 || e.created.main <= maxCreate) &&
      (minCreate === 0 || e.created.main >= minCreate),
  );
}

/**
 * Values for `entries`, read a chunk at a time: each chunk is measured and charged before the
 * next is read. Past the limit nothing more is kept, but the rest is still measured so that the
 * error can name the response's size.
 */
async function fetchLimited(view: ReadView, entries: readonly RangeEntry[], limits: RangeLimits, keysOnly: boolean): Promise<{ kvs: KeyValue[]; bytes: number }> {
  const kvs: KeyValue[] = [];
  let bytes = 0;
  for (let i = 0; i < entries.length; i += LIMITED_FETCH_CHUNK) {
    const chunk = await view.fetch(entries.slice(i, i + LIMITED_FETCH_CHUNK));
    let chunkBytes = 0;
    for (const kv of chunk) chunkBytes += kvFieldSize(kv, keysOnly);
    bytes += chunkBytes;
    if (bytes > limits.maxResponseBytes) {
      kvs.length = 0;
      continue;
    }
    await limits.charge?.(chunkBytes + chunk.length * KV_HELD_OVERHEAD_BYTES);
    for (const kv of chunk) kvs.push(kv);
  }
  return { kvs, bytes };
}

/**
 * Runs a range. With `limits` (client ranges; not a txn's), values are read in measured chunks
 * and a response above `maxResponseBytes` fails with ResourceExhausted naming its size.
 */
export async function executeRange(view: ReadView, r: RangeRequest, limits?: RangeLimits): Promise<RangeResponse> {
  const at = readRevision(r.revision, view.rev, view.compactedRevision());
  const span = spanOf(r.key, r.rangeEnd);
  const limit = r.limit !== undefined && r.limit > 0 ? r.limit : 0;
  const target = r.sortTarget ?? 'KEY';
  // etcd: a target other than KEY with order NONE sorts ascending.
  const order = (r.sortOrder ?? 'NONE') === 'NONE' && target !== 'KEY' ? 'ASCEND' : (r.sortOrder ?? 'NONE');
  const hasFilter = !!(r.minModRevision || r.maxModRevision || r.minCreateRevision || r.maxCreateRevision);

  // At the view's own revision the count needs no walk (issue 18); older revisions walk the span.
  const known = at === view.rev ? view.countAlive?.(span) : undefined;
  const countAll = (): number => known ?? view.index.range(span, at, 0).total;
  if (r.countOnly) {
    return { revision: view.rev, kvs: [], more: false, count: countAll() };
  }
  // Without sort or filters, key order is final: collect one past the limit to learn `more`.
  const collect = limit > 0 && order === 'NONE' && !hasFilter ? limit + 1 : Infinity;
  if (limits?.charge !== undefined) {
    // The index entries are held too: charged (a counting pass, no allocation) before they exist,
    // so ranges waiting for the budget do not each hold theirs meanwhile.
    const count = Math.min(collect, countAll());
    await limits.charge(count * INDEX_ENTRY_HELD_BYTES);
  }
  const { entries: all, total } =
    known !== undefined && collect !== Infinity ? { entries: view.index.firstAlive(span, at, collect), total: known } : view.index.range(span, at, collect);
  let entries = filtered(all, r);

  let kvsBytes = 0;
  const fetch = async (list: readonly RangeEntry[]): Promise<KeyValue[]> => {
    if (limits === undefined) return view.fetch(list);
    const got = await fetchLimited(view, list, limits, r.keysOnly ?? false);
    kvsBytes = got.bytes;
    return got.kvs;
  };
  let kvs: KeyValue[] | undefined;
  if (order !== 'NONE') {
    if (target === 'VALUE') {
      const values = await fetch(entries);
      const pairs = entries.map((e, i) => ({ e, kv: values[i] as KeyValue }));
      const sign = order === 'DESCEND' ? -1 : 1;
      // Stable sort: ties keep key order, as Go's sort gives for small inputs.
      pairs.sort((a, b) => sign * compareBytes(a.kv.value, b.kv.value));
      entries = pairs.map((p) => p.e);
      kvs = pairs.map((p) => p.kv);
    } else {
      const cmp = byTarget(target);
      const sign = order === 'DESCEND' ? -1 : 1;
      entries = [...entries].sort((a, b) => sign * cmp(a, b));
    }
  }
  let more = false;
  if (limit > 0 && entries.length > limit) {
    entries = entries.slice(0, limit);
    kvs = kvs?.slice(0, limit);
    more = true;
  }
  kvs ??= await fetch(entries);
  if (limits !== undefined) {
    const size = rangeResponseSize(kvsBytes, total, more);
    if (size > limits.maxResponseBytes) throw responseTooLarge(size, limits.maxResponseBytes);
  }
  if (r.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY }));
  return { revision: view.rev, kvs, more, count: total };
}
