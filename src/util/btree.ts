/**
 * sorted-btree is a CommonJS package whose class is `exports.default`; under Node's ESM the
 * default import is the whole `module.exports`, while some loaders unwrap it. This module hides
 * that once for everyone: use `newBTree(compare)` and the `BTree<K, V>` type.
 */
import sortedBtree from 'sorted-btree';

type BTreeClass = (typeof sortedBtree)['default'];
const loaded = sortedBtree as unknown as BTreeClass | { default: BTreeClass };
const BTreeCtor: BTreeClass = typeof loaded === 'function' ? loaded : loaded.default;

export function newBTree<K, V>(compare: (a: K, b: K) => number, entries?: [K, V][]) {
  return new BTreeCtor<K, V>(entries, compare);
}

export type BTree<K, V> = ReturnType<typeof newBTree<K, V>>;
