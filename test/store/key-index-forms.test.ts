/**
 * The compact KeyIndex (one revision inline, arrays only once a key has history) against the
 * array-only implementation it replaced, on random histories: every read at every revision must
 * agree, through growth (a second revision, a tombstone) and settling back (compaction, revert).
 * A key whose history fits the compact form must also be in it, so a key compacted in memory and
 * the same key rebuilt from the backend are equal objects.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../../src/store/key-index.js';
import type { Revision } from '../../src/store/types.js';
import { ArrayKeyIndex } from './model/array-key-index.js';

type Step =
  | { readonly kind: 'put'; readonly sameMain: boolean }
  | { readonly kind: 'tombstone' }
  | { readonly kind: 'compact'; readonly back: number }
  | { readonly kind: 'revert' }
  | { readonly kind: 'lease'; readonly id: number };

type Start =
  | { readonly kind: 'fresh' }
  | { readonly kind: 'restore'; readonly created: number; readonly version: number }
  | { readonly kind: 'restoreTombstone' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.boolean().map((sameMain): Step => ({ kind: 'put', sameMain })) },
  { weight: 2, arbitrary: fc.constant<Step>({ kind: 'tombstone' }) },
  { weight: 2, arbitrary: fc.integer({ min: -1, max: 6 }).map((back): Step => ({ kind: 'compact', back })) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'revert' }) },
  // 2 ** 40 + 7: a lease ID beyond V8's small integers, as real (53-bit) IDs are.
  { weight: 1, arbitrary: fc.constantFrom(0, 3, 2 ** 40 + 7).map((id): Step => ({ kind: 'lease', id })) },
);

const start: fc.Arbitrary<Start> = fc.oneof(
  fc.constant<Start>({ kind: 'fresh' }),
  fc.record({ created: fc.integer({ min: 1, max: 4 }), version: fc.integer({ min: 1, max: 5 }) }).map((r): Start => ({ kind: 'restore', ...r })),
  fc.constant<Start>({ kind: 'restoreTombstone' }),
);

type Either = KeyIndex | ArrayKeyIndex;

/** Everything a caller can read of a key, at every revision up to just past `maxRev`. */
function observe(ki: Either, maxRev: number, seen: readonly Revision[]): unknown {
  const at = [];
  for (let r = 0; r <= maxRev + 1; r++) at.push({ get: ki.get(r) ?? null, exists: ki.existsAt(r) });
  const matches = [];
  for (let v = 0; v <= 4; v++) for (let c = 0; c <= maxRev; c++) if (ki.liveMatches(v, c)) matches.push(`v${v}c${c}`);
  return {
    at,
    matches,
    revisions: ki.revisions(),
    modified: ki.modified,
    live: ki.isLive(),
    empty: ki.isEmpty(),
    lease: ki.lease,
    has: seen.map((r) => ki.hasRevision(r)),
  };
}

/** A KeyIndex built straight into the compact form with the same answers, if the history fits it. */
function compactTwin(ki: KeyIndex): KeyIndex | undefined {
  const gens = ki.revisions();
  if (gens.length !== 1 || (gens[0] as Revision[]).length > 1) return undefined;
  const twin = new KeyIndex();
  const only = (gens[0] as Revision[])[0];
  if (only !== undefined) {
    const hit = ki.get(only.main);
    if (hit === undefined) throw new Error('a live key answers at its own revision');
    twin.restore(hit.created, hit.modified, hit.version);
  }
  twin.lease = ki.lease;
  return twin;
}

function run(first: Start, steps: readonly Step[]): void {
  const compact = new KeyIndex();
  const arrays = new ArrayKeyIndex();
  const both = (fn: (ki: Either) => void): void => {
    fn(compact);
    fn(arrays);
  };
  let main = 4;
  let sub = 0;
  let compacted = 0;
  const seen: Revision[] = [];
  if (first.kind === 'restore') {
    const r = { main, sub: 0 };
    both((ki) => ki.restore({ main: first.created, sub: 0 }, r, first.version));
    seen.push(r);
  } else if (first.kind === 'restoreTombstone') {
    const r = { main, sub: 0 };
    both((ki) => ki.restoreTombstone(r));
    seen.push(r);
  }
  for (const s of steps) {
    switch (s.kind) {
      case 'put':
      case 'tombstone': {
        if (s.kind === 'tombstone' && !arrays.isLive()) continue;
        if (s.kind === 'put' && s.sameMain && seen.length > 0) sub++;
        else {
          main++;
          sub = 0;
        }
        const r = { main, sub };
        both((ki) => (s.kind === 'put' ? ki.put(r) : ki.tombstone(r)));
        seen.push(r);
        break;
      }
      case 'compact':
        // Compaction revisions only move forward, as the store's do.
        compacted = Math.max(compacted, main - s.back);
        both((ki) => ki.compact(compacted));
        break;
      case 'revert':
        // Only the newest write txn can fail after touching the index; keep `main` (revisions are never reused).
        if (compacted >= main) continue;
        both((ki) => ki.revertMain(main, 0));
        break;
      case 'lease':
        if (!arrays.isLive()) continue;
        both((ki) => (ki.lease = s.id));
        break;
    }
    expect(observe(compact, main, seen)).toEqual(observe(arrays, main, seen));
    const twin = compactTwin(compact);
    if (twin !== undefined) expect(compact).toEqual(twin);
  }
}

describe('KeyIndex compact and grown forms', () => {
  it('answer like the array-only index on random histories, and settle back when the history fits', () => {
    fc.assert(fc.property(start, fc.array(step, { maxLength: 30 }), (first, steps) => run(first, steps)), { numRuns: 2000 });
  });

  it('a key compacted down to one revision equals the same key restored from its record', () => {
    const grown = new KeyIndex();
    grown.put({ main: 2, sub: 0 });
    grown.put({ main: 3, sub: 1 });
    grown.compact(3);
    const restored = new KeyIndex();
    restored.restore({ main: 2, sub: 0 }, { main: 3, sub: 1 }, 2);
    expect(grown).toEqual(restored);
  });
});
