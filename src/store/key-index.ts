/**
 * One key's revision history, etcd's `keyIndex`: a list of generations, each the life of the key
 * from a creation to its deletion. A delete appends the tombstone revision to the current
 * generation and opens a new empty one, so a deleted key ends in an empty generation.
 *
 *   put(1.0); put(2.0); tombstone(3.0); put(4.0); tombstone(5.0)
 *   generations: {1.0, 2.0, 3.0(t)}, {4.0, 5.0(t)}, {empty}
 *
 * Only revisions live here; values live in the backend under their revision.
 */
import { assert } from '../util/assert.js';
import { compareRev, ZERO_REV } from './revision.js';
import type { Revision } from './types.js';

interface Generation {
  /** Version of the key at the generation's last revision (revs may have been compacted away). */
  ver: number;
  created: Revision;
  revs: Revision[];
}

/** What the index knows of a key at a revision: enough to filter and sort without the value. */
export interface IndexHit {
  readonly modified: Revision;
  readonly created: Revision;
  readonly version: number;
}

function emptyGeneration(): Generation {
  return { ver: 0, created: ZERO_REV, revs: [] };
}

export class KeyIndex {
  /** Newest revision of the key, tombstones included. */
  modified: Revision = ZERO_REV;
  generations: Generation[] = [emptyGeneration()];
  /** Lease of the live value (etcd asks its lessor; keeping it here lets a put detach the old one). */
  lease = 0;

  constructor(readonly key: string) {}

  private last(): Generation {
    return this.generations[this.generations.length - 1] as Generation;
  }

  put(r: Revision): void {
    assert(compareRev(r, this.modified) > 0, () => `key index: put at ${r.main}.${r.sub} is not after ${this.modified.main}.${this.modified.sub}`);
    const g = this.last();
    if (g.revs.length === 0) g.created = r;
    g.revs.push(r);
    g.ver++;
    this.modified = r;
  }

  /** Rebuilds the first surviving revision of a compacted key from its record (etcd's keyIndex.restore). */
  restore(created: Revision, modified: Revision, version: number): void {
    assert(this.generations.length === 1 && this.last().revs.length === 0, 'key index: restore into a non-empty index');
    this.generations = [{ ver: version, created, revs: [modified] }];
    this.modified = modified;
  }

  tombstone(r: Revision): void {
    assert(this.isLive(), () => `key index: tombstone of a deleted key at ${r.main}.${r.sub}`);
    this.put(r);
    this.generations.push(emptyGeneration());
    this.lease = 0;
  }

  /** True if the newest generation holds a value (the key exists now). */
  isLive(): boolean {
    return this.last().revs.length > 0;
  }

  isEmpty(): boolean {
    return this.generations.length === 1 && this.last().revs.length === 0;
  }

  /** The key's state at `atRev`, or undefined if it did not exist then (etcd's keyIndex.get). */
  get(atRev: number): IndexHit | undefined {
    const g = this.findGeneration(atRev);
    if (g === undefined) return undefined;
    for (let n = g.revs.length - 1; n >= 0; n--) {
      const r = g.revs[n] as Revision;
      if (r.main <= atRev) return { modified: r, created: g.created, version: g.ver - (g.revs.length - n - 1) };
    }
    return undefined;
  }

  /** The generation alive at `atRev`; none if the key was deleted or not yet created then. */
  private findGeneration(atRev: number): Generation | undefined {
    const lastIdx = this.generations.length - 1;
    for (let i = lastIdx; i >= 0; i--) {
      const g = this.generations[i] as Generation;
      if (g.revs.length === 0) continue;
      // A non-last generation ends in its tombstone: at or after it the key was deleted.
      if (i !== lastIdx && (g.revs[g.revs.length - 1] as Revision).main <= atRev) return undefined;
      if ((g.revs[0] as Revision).main <= atRev) return g;
    }
    return undefined;
  }

  hasRevision(r: Revision): boolean {
    for (const g of this.generations) {
      for (const x of g.revs) {
        if (x.main > r.main) break;
        if (x.main === r.main && x.sub === r.sub) return true;
      }
    }
    return false;
  }

  /**
   * Drops history before `atRev`: keeps the newest revision at or below it unless that is a
   * tombstone, and everything after it (etcd's keyIndex.compact). Reads at >= atRev see no change.
   */
  compact(atRev: number): void {
    let genIdx = 0;
    // Skip generations whose tombstone is at or below atRev: the key was deleted by then.
    while (genIdx < this.generations.length - 1) {
      const g = this.generations[genIdx] as Generation;
      if ((g.revs[g.revs.length - 1] as Revision).main > atRev) break;
      genIdx++;
    }
    const g = this.generations[genIdx] as Generation;
    if (g.revs.length > 0) {
      let keepFrom = -1;
      for (let n = g.revs.length - 1; n >= 0; n--) {
        if ((g.revs[n] as Revision).main <= atRev) {
          keepFrom = n;
          break;
        }
      }
      if (keepFrom > 0) g.revs = g.revs.slice(keepFrom);
      // A lone tombstone in a closed generation carries nothing readable at >= atRev.
      if (g.revs.length === 1 && genIdx !== this.generations.length - 1) genIdx++;
    }
    if (genIdx > 0) this.generations = this.generations.slice(genIdx);
  }

  /**
   * Undoes every change made at main revision `main` (a write txn that failed before it became
   * durable). Compaction only trims the front of the history, so trimming the tail is safe even if
   * a compaction batch ran in between.
   */
  revertMain(main: number, lease: number): void {
    for (;;) {
      const g = this.last();
      const n = this.generations.length;
      if (g.revs.length === 0) {
        const prev = n > 1 ? (this.generations[n - 2] as Generation) : undefined;
        if (prev !== undefined && (prev.revs[prev.revs.length - 1] as Revision).main === main) {
          this.generations.pop();
          continue;
        }
        break;
      }
      if ((g.revs[g.revs.length - 1] as Revision).main !== main) break;
      g.revs.pop();
      g.ver--;
      if (g.revs.length === 0) {
        g.created = ZERO_REV;
        g.ver = 0;
      }
    }
    this.modified = ZERO_REV;
    for (let i = this.generations.length - 1; i >= 0; i--) {
      const g = this.generations[i] as Generation;
      if (g.revs.length > 0) {
        this.modified = g.revs[g.revs.length - 1] as Revision;
        break;
      }
    }
    this.lease = lease;
  }
}
