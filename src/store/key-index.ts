/**
 * One key's revision history, etcd's `keyIndex`: a list of generations, each the life of the key
 * from a creation to its deletion. A delete appends the tombstone revision to the current
 * generation and opens a new empty one, so a deleted key ends in an empty generation.
 *
 *   put(1.0); put(2.0); tombstone(3.0); put(4.0); tombstone(5.0)
 *   generations: {1.0, 2.0, 3.0(t)}, {4.0, 5.0(t)}, {empty}
 *
 * Only revisions live here; values live in the backend under their revision. The index is most
 * of the store's heap, and most keys have no history (one generation, one revision), so a key
 * has two forms:
 *
 * - compact (`gens` undefined): at most one generation holding at most one revision, its numbers
 *   inline on the object. Node here has no pointer compression: each small array costs 56–88 B,
 *   and the two a one-revision key needed were most of its 250 B (bench/RESULTS.md, issue 18).
 * - grown: every generation as one flat number array,
 *   `[version, createdMain, createdSub, main0, sub0, main1, sub1, …]`, sized exactly while short
 *   (a push onto a short array grows its backing store to 17+ slots; concat does not).
 *
 * A key grows on its second revision or its first tombstone and settles back into the compact
 * form whenever a change (compaction, revert) leaves it one generation of at most one revision,
 * so equal histories have equal objects whichever way they were reached (open rebuilds the index
 * and tests compare it to the one kept in memory). test/store/key-index-forms.test.ts checks
 * both forms against the array-only implementation on random histories.
 */
import { assert } from '../util/assert.js';
import { ZERO_REV } from './revision.js';
import type { Revision } from './types.js';

/** What the index knows of a key at a revision: enough to filter and sort without the value. */
export interface IndexHit {
  readonly modified: Revision;
  readonly created: Revision;
  readonly version: number;
}

type Generation = number[];
const VER = 0;
const CREATED_MAIN = 1;
const CREATED_SUB = 2;
const HEAD = 3;
/** Below this many numbers, appends copy into an exact-size array instead of pushing. */
const EXACT_UP_TO = 24;

const count = (g: Generation): number => (g.length - HEAD) >> 1;
const mainAt = (g: Generation, i: number): number => g[HEAD + 2 * i] as number;
const subAt = (g: Generation, i: number): number => g[HEAD + 2 * i + 1] as number;
const lastMain = (g: Generation): number => mainAt(g, count(g) - 1);

function emptyGeneration(): Generation {
  return [0, 0, 0];
}

/** Told of each revision a compaction drops, and whether it was a tombstone (its record key ends in `t`). */
export type DroppedRevisions = (main: number, sub: number, tombstone: boolean) => void;

/** Reports every revision of a closed generation; the last one is its tombstone. */
function reportAll(g: Generation, dropped: DroppedRevisions): void {
  const n = count(g);
  for (let i = 0; i < n; i++) dropped(mainAt(g, i), subAt(g, i), i === n - 1);
}

/**
 * A closed generation left holding only its tombstone (by a compaction at that revision, or by
 * open). Its creation and version can no longer be read, so they are fixed to the tombstone and 0:
 * the index is then the same whether it was compacted in memory or rebuilt from the backend.
 */
function loneTombstone(main: number, sub: number): Generation {
  return [0, main, sub, main, sub];
}

function appended<T>(list: T[], ...items: T[]): T[] {
  // concat allocates exactly; spread and push over-allocate (measured: 96 vs 232 bytes for 5 numbers).
  if (list.length + items.length <= EXACT_UP_TO) return list.concat(items);
  list.push(...items);
  return list;
}

/**
 * The same number, as a V8 small integer when it fits one. Revisions decoded from bytes arrive as
 * heap numbers (arithmetic past 2^31 on the way), and one heap number stored in a field turns that
 * field into a boxed double on every KeyIndex: +64 B per key after open's rebuild, measured.
 * (A store past 2^31 revisions pays that anyway.)
 */
function small(n: number): number {
  return n <= 0x7fff_ffff ? n | 0 : n;
}

export class KeyIndex {
  // The compact form's one revision (all 0 while the key has none). Unused once grown.
  private ver = 0;
  private cMain = 0;
  private cSub = 0;
  private mMain = 0;
  private mSub = 0;
  /** The grown form's generations; undefined while the compact form holds the key. */
  private gens: Generation[] | undefined = undefined;
  /**
   * Lease IDs are 53-bit, beyond V8's small integers: a number-only field would turn into a boxed
   * double on every key once one key had a lease. Starting it as null keeps it a tagged field,
   * where 0 and small IDs stay inline.
   */
  private leaseId: number | null = null;

  /** Lease of the live value (etcd asks its lessor; keeping it here lets a put detach the old one). */
  get lease(): number {
    return this.leaseId ?? 0;
  }

  set lease(id: number) {
    this.leaseId = id === 0 ? null : id;
  }

  /** The grown form's generations, growing a compact key into it first. */
  private get generations(): Generation[] {
    if (this.gens === undefined) {
      this.gens = [this.mMain === 0 ? emptyGeneration() : [this.ver, this.cMain, this.cSub, this.mMain, this.mSub]];
      this.setInline(0, 0, 0, 0, 0);
    }
    return this.gens;
  }

  private set generations(gens: Generation[]) {
    this.gens = gens;
  }

  private setInline(ver: number, cMain: number, cSub: number, mMain: number, mSub: number): void {
    this.ver = small(ver);
    this.cMain = small(cMain);
    this.cSub = small(cSub);
    this.mMain = small(mMain);
    this.mSub = small(mSub);
  }

  /** Back to the compact form if the history fits it (one generation, at most one revision). */
  private settle(): void {
    const gens = this.gens;
    if (gens === undefined || gens.length !== 1) return;
    const g = gens[0] as Generation;
    const n = count(g);
    if (n > 1) return;
    if (n === 0) this.setInline(0, 0, 0, 0, 0);
    else this.setInline(g[VER] as number, g[CREATED_MAIN] as number, g[CREATED_SUB] as number, mainAt(g, 0), subAt(g, 0));
    this.gens = undefined;
  }

  private get lastIdx(): number {
    return this.generations.length - 1;
  }

  private last(): Generation {
    return this.generations[this.lastIdx] as Generation;
  }

  /** Newest revision of the key, tombstones included (ZERO_REV if none). */
  get modified(): Revision {
    if (this.gens === undefined) return this.mMain === 0 ? ZERO_REV : { main: this.mMain, sub: this.mSub };
    for (let i = this.lastIdx; i >= 0; i--) {
      const g = this.generations[i] as Generation;
      const n = count(g);
      if (n > 0) return { main: mainAt(g, n - 1), sub: subAt(g, n - 1) };
    }
    return ZERO_REV;
  }

  put(r: Revision): void {
    const m = this.modified;
    assert(r.main > m.main || (r.main === m.main && r.sub > m.sub), () => `key index: put at ${r.main}.${r.sub} is not after ${m.main}.${m.sub}`);
    if (this.gens === undefined && this.mMain === 0) {
      this.setInline(1, r.main, r.sub, r.main, r.sub);
      return;
    }
    let g = this.last();
    if (count(g) === 0) {
      g[CREATED_MAIN] = r.main;
      g[CREATED_SUB] = r.sub;
    }
    g = appended(g, r.main, r.sub);
    g[VER] = (g[VER] as number) + 1;
    this.generations[this.lastIdx] = g;
  }

  /** Rebuilds the first surviving revision of a compacted key from its record (etcd's keyIndex.restore). */
  restore(created: Revision, modified: Revision, version: number): void {
    assert(this.isEmpty(), 'key index: restore into a non-empty index');
    this.gens = undefined;
    this.setInline(version, created.main, created.sub, modified.main, modified.sub);
  }

  tombstone(r: Revision): void {
    assert(this.isLive(), () => `key index: tombstone of a deleted key at ${r.main}.${r.sub}`);
    this.put(r);
    this.generations = appended(this.generations, emptyGeneration());
    this.lease = 0;
  }

  /** True if the newest generation holds a value (the key exists now). */
  isLive(): boolean {
    if (this.gens === undefined) return this.mMain !== 0;
    return count(this.last()) > 0;
  }

  /** Whether the live generation's version and creation match the record just applied (open's check). */
  liveMatches(version: number, createdMain: number): boolean {
    if (this.gens === undefined) return this.mMain !== 0 && this.ver === version && this.cMain === createdMain;
    const g = this.last();
    return count(g) > 0 && g[VER] === version && g[CREATED_MAIN] === createdMain;
  }

  isEmpty(): boolean {
    if (this.gens === undefined) return this.mMain === 0;
    return this.generations.length === 1 && count(this.last()) === 0;
  }

  /** The key's state at `atRev`, or undefined if it did not exist then (etcd's keyIndex.get). */
  get(atRev: number): IndexHit | undefined {
    if (this.gens === undefined) {
      if (this.mMain === 0 || this.mMain > atRev) return undefined;
      return { modified: { main: this.mMain, sub: this.mSub }, created: { main: this.cMain, sub: this.cSub }, version: this.ver };
    }
    const gi = this.findGeneration(atRev);
    if (gi < 0) return undefined;
    const g = this.generations[gi] as Generation;
    const n = count(g);
    for (let i = n - 1; i >= 0; i--) {
      if (mainAt(g, i) <= atRev) {
        return {
          modified: { main: mainAt(g, i), sub: subAt(g, i) },
          created: { main: g[CREATED_MAIN] as number, sub: g[CREATED_SUB] as number },
          version: (g[VER] as number) - (n - i - 1),
        };
      }
    }
    return undefined;
  }

  /** Whether the key existed at `atRev`, without allocating (for counting ranges). */
  existsAt(atRev: number): boolean {
    if (this.gens === undefined) return this.mMain !== 0 && this.mMain <= atRev;
    return this.findGeneration(atRev) >= 0;
  }

  /** Index of the generation alive at `atRev`; -1 if the key was deleted or not yet created then. */
  private findGeneration(atRev: number): number {
    const lastIdx = this.lastIdx;
    for (let i = lastIdx; i >= 0; i--) {
      const g = this.generations[i] as Generation;
      if (count(g) === 0) continue;
      // A non-last generation ends in its tombstone: at or after it the key was deleted.
      if (i !== lastIdx && lastMain(g) <= atRev) return -1;
      if (mainAt(g, 0) <= atRev) return i;
    }
    return -1;
  }

  hasRevision(r: Revision): boolean {
    if (this.gens === undefined) return this.mMain !== 0 && this.mMain === r.main && this.mSub === r.sub;
    for (const g of this.generations) {
      for (let i = 0, n = count(g); i < n; i++) {
        const m = mainAt(g, i);
        if (m > r.main) break;
        if (m === r.main && subAt(g, i) === r.sub) return true;
      }
    }
    return false;
  }

  /** Every generation's revisions, oldest first (tests and debugging). */
  revisions(): Revision[][] {
    if (this.gens === undefined) return [this.mMain === 0 ? [] : [{ main: this.mMain, sub: this.mSub }]];
    return this.generations.map((g) => Array.from({ length: count(g) }, (_, i) => ({ main: mainAt(g, i), sub: subAt(g, i) })));
  }

  /**
   * Drops history before `atRev`: keeps the newest revision at or below it and everything after it
   * (etcd's keyIndex.compact). A tombstone exactly AT `atRev` is kept too, alone in its generation,
   * until a later compaction passes it (etcd PR #18274, bug #19179): a watch starting at the
   * compaction revision must still see that DELETE, and its record stays in the backend. A
   * tombstone below `atRev` goes with its generation. Reads at >= atRev see no change.
   */
  compact(atRev: number, dropped?: DroppedRevisions): void {
    // One generation of one revision: it is the newest at or below atRev, or after it; kept either way.
    if (this.gens === undefined) return;
    let genIdx = 0;
    // Skip generations whose tombstone is below atRev: the key was deleted before it.
    while (genIdx < this.lastIdx && lastMain(this.generations[genIdx] as Generation) < atRev) {
      // A closed generation ends in its tombstone, whose record key carries etcd's `t`.
      if (dropped !== undefined) reportAll(this.generations[genIdx] as Generation, dropped);
      genIdx++;
    }
    const g = this.generations[genIdx] as Generation;
    const n = count(g);
    let keepFrom = -1;
    for (let i = n - 1; i >= 0; i--) {
      if (mainAt(g, i) <= atRev) {
        keepFrom = i;
        break;
      }
    }
    // Below keepFrom, never the generation's tombstone: a kept tombstone is at keepFrom or after.
    if (dropped !== undefined) for (let i = 0; i < keepFrom; i++) dropped(mainAt(g, i), subAt(g, i), false);
    if (keepFrom === n - 1 && genIdx !== this.lastIdx) this.generations[genIdx] = loneTombstone(mainAt(g, keepFrom), subAt(g, keepFrom));
    else if (keepFrom > 0) this.generations[genIdx] = g.slice(0, HEAD).concat(g.slice(HEAD + 2 * keepFrom));
    if (genIdx > 0) this.generations = this.generations.slice(genIdx);
    this.settle();
  }

  /**
   * Rebuilds a key whose first surviving record is a tombstone (kept by a compaction at its
   * revision, or left by one cut short): a closed generation holding only that tombstone
   * (etcd's keyIndex.restoreTombstone, PR #19188). Reads see the key as deleted.
   */
  restoreTombstone(r: Revision): void {
    assert(this.isEmpty(), 'key index: restore into a non-empty index');
    this.setInline(0, 0, 0, 0, 0);
    this.generations = [loneTombstone(r.main, r.sub), emptyGeneration()];
  }

  /** Revisions held (the image's size is counted in these). */
  revisionCount(): number {
    if (this.gens === undefined) return this.isEmpty() ? 0 : 1;
    let n = 0;
    for (const g of this.gens) n += count(g);
    return n;
  }

  /**
   * The key's whole state as numbers, for the persisted index image (index-image.ts):
   * `[lease, 0, ver, cMain, cSub, mMain, mSub]` in the compact form, else
   * `[lease, generations, len0, ...gen0, len1, ...gen1, …]`.
   */
  imageNumbers(): number[] {
    if (this.gens === undefined) return [this.lease, 0, this.ver, this.cMain, this.cSub, this.mMain, this.mSub];
    const out = [this.lease, this.gens.length];
    for (const g of this.gens) out.push(g.length, ...g);
    return out;
  }

  /** The inverse of imageNumbers, into an empty KeyIndex; returns where the next key's numbers start. */
  loadImage(nums: ArrayLike<number>, at: number): number {
    assert(this.isEmpty(), 'key index: image loaded into a non-empty index');
    this.lease = nums[at] as number;
    const gens = nums[at + 1] as number;
    if (gens === 0) {
      this.setInline(nums[at + 2] as number, nums[at + 3] as number, nums[at + 4] as number, nums[at + 5] as number, nums[at + 6] as number);
      return at + 7;
    }
    const out: Generation[] = [];
    let i = at + 2;
    for (let gi = 0; gi < gens; gi++) {
      const len = nums[i] as number;
      const g: Generation = new Array<number>(len);
      for (let j = 0; j < len; j++) g[j] = small(nums[i + 1 + j] as number);
      out.push(g);
      i += 1 + len;
    }
    this.gens = out;
    this.settle();
    return i;
  }

  /**
   * Undoes every change made at main revision `main` (a write txn that failed before it became
   * durable). Compaction only trims the front of the history, so trimming the tail is safe even if
   * a compaction batch ran in between.
   */
  revertMain(main: number, lease: number): void {
    if (this.gens === undefined) {
      if (this.mMain === main) this.setInline(0, 0, 0, 0, 0);
      this.lease = lease;
      return;
    }
    for (;;) {
      const g = this.last();
      if (count(g) === 0) {
        const prev = this.generations.length > 1 ? (this.generations[this.lastIdx - 1] as Generation) : undefined;
        if (prev !== undefined && lastMain(prev) === main) {
          this.generations = this.generations.slice(0, -1);
          continue;
        }
        break;
      }
      if (lastMain(g) !== main) break;
      const rest = g.slice(0, -2);
      rest[VER] = (rest[VER] as number) - 1;
      if (count(rest) === 0) {
        rest[VER] = 0;
        rest[CREATED_MAIN] = 0;
        rest[CREATED_SUB] = 0;
      }
      this.generations[this.lastIdx] = rest;
    }
    this.settle();
    this.lease = lease;
  }
}
