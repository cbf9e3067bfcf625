/**
 * Counting the keys alive at the committed revision without visiting them (issue 18: a range's
 * `count` walked every key from its start to its end, ~100-150 ns each, so a range of 1,000 keys
 * over a million paid for the million). The index answers "keys in a span" in O(log n) from its
 * node sizes; what it also holds are keys not alive at the committed revision: deleted ones
 * waiting for compaction, and keys a write txn in flight has just created. Those are few, and
 * kept here in a sorted set, so count = keys in span - such keys in span.
 *
 * The set describes the committed revision, not the index's newest state: a txn in flight
 * changes the index at once (at beginRev + 1) while readers still read at beginRev. So a key the
 * txn creates joins the set at once (it is in the tree but not alive yet), and every key a txn
 * touched is settled when the txn commits or reverts. The set comes with a rebuilt index (its
 * deleted keys), or else is built on first use by one walk; it is dropped with its index.
 */
import { newBTree } from '../util/btree.js';
import { countBetween } from '../util/btree-rank.js';
import type { KeySpan, TreeIndex } from './tree-index.js';

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

type KeySet = ReturnType<typeof newBTree<string, undefined>>;

export class LiveKeys {
  /** Keys in the index not alive at the committed revision; undefined until first needed. */
  private notAlive: KeySet | undefined;

  /** `deleted`, when known (the rebuild knows it), are the keys not alive; else one walk finds them on first use. */
  constructor(
    private readonly index: TreeIndex,
    deleted?: readonly string[],
  ) {
    if (deleted === undefined) return;
    const set: KeySet = newBTree<string, undefined>(compareStrings);
    for (const key of deleted) set.set(key, undefined);
    this.notAlive = set;
  }

  /** Keys alive at `committedRev` (the store's current revision) in the span. */
  count(span: KeySpan, committedRev: number): number {
    if (span.end === undefined) return this.index.keyIndex(span.start)?.existsAt(committedRev) === true ? 1 : 0;
    const notAlive = (this.notAlive ??= this.scan(committedRev));
    const total = this.index.countKeys(span);
    if (notAlive.size === 0 || total === 0) return total;
    if (span.end !== '' && span.end <= span.start) return 0;
    return total - countBetween(notAlive, span.start, span.end === '' ? undefined : span.end, compareStrings);
  }

  /** A write txn is adding `key` to the index: not alive at the committed revision until it commits. */
  creating(key: string): void {
    this.notAlive?.set(key, undefined);
  }

  /** After a txn committed (`committedRev` is its revision) or reverted: its keys as they now are. */
  settle(keys: Iterable<string>, committedRev: number): void {
    const set = this.notAlive;
    if (set === undefined) return;
    for (const key of keys) {
      const ki = this.index.keyIndex(key);
      if (ki === undefined || ki.existsAt(committedRev)) set.delete(key);
      else set.set(key, undefined);
    }
  }

  /**
   * A compaction batch visited the keys after `after` (exclusive; undefined: from the first) up to
   * `last` (inclusive; undefined: to the end) and removed those it left empty: forget them.
   */
  pruneRemoved(after: string | undefined, last: string | undefined): void {
    const set = this.notAlive;
    if (set === undefined || set.size === 0) return;
    const gone: string[] = [];
    for (const [k] of set.entries(after)) {
      if (k === after) continue;
      if (last !== undefined && k > last) break;
      if (this.index.keyIndex(k) === undefined) gone.push(k);
    }
    for (const k of gone) set.delete(k);
  }

  private scan(committedRev: number): KeySet {
    const set: KeySet = newBTree<string, undefined>(compareStrings);
    this.index.visit({ start: '', end: '' }, (key, ki) => {
      if (!ki.existsAt(committedRev)) set.set(key, undefined);
    });
    return set;
  }
}
