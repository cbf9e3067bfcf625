/**
 * A binary min-heap keyed by (time, seq): the simulator's event queue. `seq` breaks ties in
 * insertion order so a run is a pure function of its seed (no reliance on sort stability).
 */
export interface Timed {
  readonly time: number;
  readonly seq: number;
}

function before(a: Timed, b: Timed): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

export class MinHeap<T extends Timed> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (!before(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= items.length) break;
      const r = l + 1;
      const child = r < items.length && before(items[r] as T, items[l] as T) ? r : l;
      if (!before(items[child] as T, last)) break;
      items[i] = items[child] as T;
      i = child;
    }
    items[i] = last;
    return top;
  }

  /** Removes every item for which `drop` is true (used when a node crashes). */
  removeWhere(drop: (item: T) => boolean): number {
    const kept = this.items.filter((x) => !drop(x));
    const removed = this.items.length - kept.length;
    this.items.length = 0;
    for (const x of kept) this.push(x);
    return removed;
  }
}
