/**
 * Lease IDs ordered by a due time (etcd's LeaseQueue / checkpoint heap), for expiry and
 * checkpoint scheduling on the leader. Ties break by ID so the order is deterministic.
 */
import { newBTree, type BTree } from '../util/btree.js';

type DueKey = readonly [number, number];

function compareDue(a: DueKey, b: DueKey): number {
  return a[0] - b[0] || a[1] - b[1];
}

export class LeaseDueQueue {
  private readonly tree: BTree<DueKey, true> = newBTree<DueKey, true>(compareDue);
  private readonly byId = new Map<number, DueKey>();

  get size(): number {
    return this.byId.size;
  }

  /** Schedules (or reschedules) `id` at `at` ms. */
  set(id: number, at: number): void {
    this.delete(id);
    const key: DueKey = [at, id];
    this.tree.set(key, true);
    this.byId.set(id, key);
  }

  delete(id: number): void {
    const key = this.byId.get(id);
    if (key === undefined) return;
    this.tree.delete(key);
    this.byId.delete(id);
  }

  clear(): void {
    this.tree.clear();
    this.byId.clear();
  }

  /** Up to `limit` IDs due at or before `now`, earliest first; they are removed from the queue. */
  takeDue(now: number, limit: number): number[] {
    const due: number[] = [];
    for (const [at, id] of this.tree.keys()) {
      if (at > now || due.length >= limit) break;
      due.push(id);
    }
    for (const id of due) this.delete(id);
    return due;
  }
}
