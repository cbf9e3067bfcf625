/**
 * sorted-btree is a CommonJS package whose class is `exports.default`; under Node's ESM the
 * default import is the whole `module.exports`, while some loaders unwrap it. This module hides
 * that once for everyone: use `newBTree(compare)` and the `BTree<K, V>` type.
 */
import sortedBtree from 'sorted-btree';
import * as bulkModule from 'sorted-btree/extended/bulkLoad.js';

type BTreeClass = (typeof sortedBtree)['default'];
const loaded = sortedBtree as unknown as BTreeClass | { default: BTreeClass };
const BTreeCtor: BTreeClass = typeof loaded === 'function' ? loaded : loaded.default;

export function newBTree<K, V>(compare: (a: K, b: K) => number, entries?: [K, V][]) {
  return new BTreeCtor<K, V>(entries, compare);
}

export type BTree<K, V> = ReturnType<typeof newBTree<K, V>>;

type BulkLoad = <K, V>(keys: K[], values: V[], maxNodeSize: number, compare: (a: K, b: K) => number, loadFactor?: number) => BTree<K, V>;
const bulkLoaded = bulkModule as unknown as { bulkLoad?: BulkLoad; default?: { bulkLoad: BulkLoad } };
const bulkLoad: BulkLoad = (bulkLoaded.bulkLoad ?? bulkLoaded.default?.bulkLoad) as BulkLoad;

/**
 * A tree from keys already sorted (strictly increasing) and their values, built bottom-up with full
 * nodes: for a million keys ~0.3 s less than one insert each (bench/RESULTS.md, issue 18). The
 * default node size of `newBTree` (32), so later inserts behave the same.
 */
export function bulkLoadBTree<K, V>(keys: K[], values: V[], compare: (a: K, b: K) => number): BTree<K, V> {
  return bulkLoad(keys, values, 32, compare, 1);
}
