/**
 * How many keys of a sorted-btree lie below a bound, in O(log n): the library keeps each inner
 * node's subtree size (it answers `size` from it) but has no rank query, so this walks its nodes.
 * It reads the node layout of sorted-btree 2.x (`_root`; a leaf's `keys`; an inner node's `keys`,
 * one per child holding that child's largest key, `children` and `size()`); the tests compare it
 * with a scan, so a library upgrade that changes the layout fails there, not in production.
 */
import type { BTree } from './btree.js';

interface Node<K> {
  readonly keys: K[];
  readonly children?: Node<K>[];
  size(): number;
}

function rootOf<K, V>(tree: BTree<K, V>): Node<K> {
  return (tree as unknown as { _root: Node<K> })._root;
}

/** Keys of `tree` that are < `bound` (or <= it with `inclusive`). */
export function rankOf<K, V>(tree: BTree<K, V>, bound: K, inclusive: boolean, compare: (a: K, b: K) => number): number {
  const before = (k: K): boolean => {
    const c = compare(k, bound);
    return c < 0 || (inclusive && c === 0);
  };
  let node = rootOf(tree);
  let rank = 0;
  while (node.children !== undefined) {
    const { keys, children } = node;
    let i = 0;
    // Children wholly before the bound count whole; descend into the first one that is not.
    while (i < keys.length && before(keys[i] as K)) {
      rank += (children[i] as Node<K>).size();
      i++;
    }
    if (i === keys.length) return rank;
    node = children[i] as Node<K>;
  }
  const keys = node.keys;
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(keys[mid] as K)) lo = mid + 1;
    else hi = mid;
  }
  return rank + lo;
}

/** Keys in [low, high) (`high` undefined: every key >= low), in O(log n). */
export function countBetween<K, V>(tree: BTree<K, V>, low: K, high: K | undefined, compare: (a: K, b: K) => number): number {
  if (tree.size === 0) return 0;
  const below = rankOf(tree, low, false, compare);
  const upTo = high === undefined ? tree.size : rankOf(tree, high, false, compare);
  return Math.max(0, upTo - below);
}
