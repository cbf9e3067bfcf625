import { expect, it } from 'vitest';
import { newBTree, type BTree } from '../../src/util/btree.js';

it('newBTree builds a sorted-btree under ESM and vitest', () => {
  const t: BTree<number, string> = newBTree<number, string>((a, b) => a - b);
  t.set(3, 'c');
  t.set(1, 'a');
  expect([...t.entries()]).toEqual([[1, 'a'], [3, 'c']]);
  expect([...t.clone().entriesReversed()]).toEqual([[3, 'c'], [1, 'a']]);
});
