/**
 * The in-memory ordered key index (etcd's treeIndex): a B-tree from key to its KeyIndex.
 * Keys are held as latin1 strings, one char per byte, so JS string order is byte order and the
 * native comparison does the work; values are never held here (they live in the backend).
 */
import { assert } from '../util/assert.js';
import { bulkLoadBTree, newBTree } from '../util/btree.js';
import { countBetween } from '../util/btree-rank.js';
import { KeyIndex, type DroppedRevisions, type IndexHit } from './key-index.js';
import type { Revision } from './types.js';

export function indexKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** `indexKey(bytes) === key`, without building the string (checked once per record read). */
export function isIndexKeyOf(key: string, bytes: Uint8Array): boolean {
  if (key.length !== bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (key.charCodeAt(i) !== bytes[i]) return false;
  return true;
}

export function keyBytes(key: string): Uint8Array {
  const b = Buffer.from(key, 'latin1');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * A key span: `end` undefined means the single key `start`; `end` '' means every key >= start
 * (etcd's range_end "\0"); otherwise the half-open [start, end).
 */
export interface KeySpan {
  readonly start: string;
  readonly end: string | undefined;
}

export function spanOf(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeySpan {
  if (rangeEnd === undefined || rangeEnd.length === 0) return { start: indexKey(key), end: undefined };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start: indexKey(key), end: '' };
  return { start: indexKey(key), end: indexKey(rangeEnd) };
}

export function spanContains(span: KeySpan, key: string): boolean {
  if (span.end === undefined) return key === span.start;
  return key >= span.start && (span.end === '' || key < span.end);
}

export interface RangeEntry extends IndexHit {
  readonly key: string;
}

export interface RangeResult {
  /** At most `collect` entries, in key order. */
  readonly entries: RangeEntry[];
  /** Every key alive in the span at the revision. */
  readonly total: number;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class TreeIndex {
  private readonly tree: ReturnType<typeof newBTree<string, KeyIndex>>;

  /** `sorted`: keys in strictly increasing order and their KeyIndexes, loaded in bulk. */
  constructor(sorted?: { keys: string[]; values: KeyIndex[] }) {
    this.tree = sorted === undefined ? newBTree<string, KeyIndex>(compareStrings) : bulkLoadBTree(sorted.keys, sorted.values, compareStrings);
  }

  get size(): number {
    return this.tree.size;
  }

  keyIndex(key: string): KeyIndex | undefined {
    return this.tree.get(key);
  }

  getOrCreate(key: string): KeyIndex {
    let ki = this.tree.get(key);
    if (ki === undefined) {
      ki = new KeyIndex();
      this.tree.set(key, ki);
    }
    return ki;
  }

  /** A new, empty KeyIndex for a key not in the index yet (one B-tree pass instead of getOrCreate's two). */
  add(key: string): KeyIndex {
    const ki = new KeyIndex();
    assert(this.tree.set(key, ki, false), 'key index: add of a key already indexed');
    return ki;
  }

  remove(key: string): void {
    this.tree.delete(key);
  }

  get(key: string, atRev: number): IndexHit | undefined {
    return this.tree.get(key)?.get(atRev);
  }

  /** Calls `fn` for each key in the span, in key order (live or not); no allocation per key. */
  visit(span: KeySpan, fn: (key: string, ki: KeyIndex) => void): void {
    if (span.end === undefined) {
      const ki = this.tree.get(span.start);
      if (ki !== undefined) fn(span.start, ki);
      return;
    }
    if (span.end === '') {
      const max = this.tree.maxKey();
      if (max !== undefined && max >= span.start) this.tree.forRange(span.start, max, true, fn);
      return;
    }
    if (span.end > span.start) this.tree.forRange(span.start, span.end, false, fn);
  }

  /** Keys alive at `atRev` in the span; collects the first `collect` (Infinity for all). */
  range(span: KeySpan, atRev: number, collect = Infinity): RangeResult {
    const entries: RangeEntry[] = [];
    let total = 0;
    this.visit(span, (key, ki) => {
      if (entries.length >= collect) {
        if (ki.existsAt(atRev)) total++;
        return;
      }
      const hit = ki.get(atRev);
      if (hit === undefined) return;
      total++;
      entries.push({ key, modified: hit.modified, created: hit.created, version: hit.version });
    });
    return { entries, total };
  }

  /**
   * Compacts up to `maxKeys` keys after `after` (exclusive; undefined = from the first key) at
   * `atRev`, removing keys left empty. Returns the last key visited, or undefined when done.
   * `dropped` hears every revision the batch removes (compaction.ts deletes their records).
   */
  compactBatch(atRev: number, after: string | undefined, maxKeys: number, dropped?: DroppedRevisions): string | undefined {
    let last: string | undefined;
    let n = 0;
    const empty: string[] = [];
    for (const [k, ki] of this.tree.entries(after)) {
      if (after !== undefined && k === after) continue;
      if (n >= maxKeys) break;
      if (!ki.isEmpty()) ki.compact(atRev, dropped);
      if (ki.isEmpty()) empty.push(k);
      last = k;
      n++;
    }
    for (const k of empty) this.tree.delete(k);
    return n >= maxKeys ? last : undefined;
  }

  /**
   * Up to `maxKeys` keys after `after` (exclusive; undefined = from the first) with their
   * KeyIndex.imageNumbers(), for one chunk of the persisted index image; `last` is undefined once
   * the walk has reached the end. The slice also ends once it holds `maxRevisions` revisions (a
   * key with a long history is many numbers: the slice's time on the loop follows revisions, not
   * keys). Keys left empty (a reverted creation) are left out, as a rebuild from the backend would
   * never make them.
   */
  imageSlice(after: string | undefined, maxKeys: number, maxRevisions = Infinity): { keys: string[]; numbers: number[]; revisions: number; last: string | undefined } {
    const keys: string[] = [];
    const numbers: number[] = [];
    let revisions = 0;
    let last: string | undefined;
    let n = 0;
    for (const [k, ki] of this.tree.entries(after)) {
      if (after !== undefined && k === after) continue;
      if (n >= maxKeys || revisions >= maxRevisions) return { keys, numbers, revisions, last };
      n++;
      last = k;
      if (ki.isEmpty()) continue;
      keys.push(k);
      revisions += ki.revisionCount();
      for (const x of ki.imageNumbers()) numbers.push(x);
    }
    return { keys, numbers, revisions, last: undefined };
  }

  /** Keys in the span, live or not, in O(log n) (for counting ranges with LiveKeys). */
  countKeys(span: KeySpan): number {
    if (span.end === undefined) return this.tree.has(span.start) ? 1 : 0;
    if (span.end !== '' && span.end <= span.start) return 0;
    return countBetween(this.tree, span.start, span.end === '' ? undefined : span.end, compareStrings);
  }

  /** The first `max` keys alive at `atRev` in the span, in key order; the rest is not visited. */
  firstAlive(span: KeySpan, atRev: number, max: number): RangeEntry[] {
    const entries: RangeEntry[] = [];
    if (max <= 0) return entries;
    const add = (key: string, ki: KeyIndex): boolean => {
      const hit = ki.get(atRev);
      if (hit !== undefined) entries.push({ key, modified: hit.modified, created: hit.created, version: hit.version });
      return entries.length >= max;
    };
    if (span.end === undefined) {
      const ki = this.tree.get(span.start);
      if (ki !== undefined) add(span.start, ki);
      return entries;
    }
    for (const [k, ki] of this.tree.entries(span.start)) {
      if (span.end !== '' && k >= span.end) break;
      if (add(k, ki)) break;
    }
    return entries;
  }

  /** Whether revision `r` of `key` is still in the index (compaction keeps it in the backend). */
  hasRevision(key: string, r: Revision): boolean {
    return this.tree.get(key)?.hasRevision(r) ?? false;
  }

  /** Every live key with a lease attached (for re-attaching leases after open or restore). */
  *leasedKeys(): IterableIterator<[number, string]> {
    for (const [k, ki] of this.tree.entries()) if (ki.isLive() && ki.lease !== 0) yield [ki.lease, k];
  }
}
