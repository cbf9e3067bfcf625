/**
 * Whether a user's permissions cover a key or a range (etcd `auth/range_perm_cache.go`). The
 * permissions of all the user's roles are merged into one interval set per access kind:
 * READWRITE counts for both. A single key is allowed if it lies in any granted interval; a
 * range [key, end) only if the union of intervals covers all of it, so grants from several
 * roles may add up (`[a/,a0)` plus `[a0,a5)` allow `[a/,a5)`).
 */
import { compareBytes } from '../../util/bytes.js';

export type PermType = 0 | 1 | 2; // READ, WRITE, READWRITE (authpb.Permission.Type)
export const READ: PermType = 0;
export const WRITE: PermType = 1;
export const READWRITE: PermType = 2;

export interface StoredPermission {
  readonly type: PermType;
  readonly key: Uint8Array;
  /** Empty: the single key; `[0]`: every key ≥ key; else exclusive end. */
  readonly rangeEnd: Uint8Array;
}

/** A half-open interval; `end === undefined` is +∞. */
interface Interval {
  readonly start: Uint8Array;
  readonly end: Uint8Array | undefined;
}

const isOpenEnd = (end: Uint8Array): boolean => end.length === 1 && end[0] === 0;

/** The key right after `key` in byte order: `key + \0`, the end of the point interval. */
function successor(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out.set(key);
  return out;
}

function intervalOf(key: Uint8Array, rangeEnd: Uint8Array): Interval {
  if (rangeEnd.length === 0) return { start: key, end: successor(key) };
  return { start: key, end: isOpenEnd(rangeEnd) ? undefined : rangeEnd };
}

/** Sorted, merged, disjoint intervals. */
function merge(intervals: Interval[]): Interval[] {
  intervals.sort((a, b) => compareBytes(a.start, b.start));
  const out: Interval[] = [];
  for (const iv of intervals) {
    const last = out[out.length - 1];
    if (last !== undefined && (last.end === undefined || compareBytes(iv.start, last.end) <= 0)) {
      if (last.end !== undefined && (iv.end === undefined || compareBytes(iv.end, last.end) > 0)) {
        out[out.length - 1] = { start: last.start, end: iv.end };
      }
      continue;
    }
    out.push(iv);
  }
  return out;
}

/** One user's merged READ and WRITE interval sets. */
export class PermissionSet {
  private readonly read: Interval[];
  private readonly write: Interval[];

  constructor(perms: readonly StoredPermission[]) {
    const read: Interval[] = [];
    const write: Interval[] = [];
    for (const p of perms) {
      const iv = intervalOf(p.key, p.rangeEnd);
      if (p.type === READ || p.type === READWRITE) read.push(iv);
      if (p.type === WRITE || p.type === READWRITE) write.push(iv);
    }
    this.read = merge(read);
    this.write = merge(write);
  }

  canRead(key: Uint8Array, rangeEnd?: Uint8Array): boolean {
    return covers(this.read, key, rangeEnd);
  }

  canWrite(key: Uint8Array, rangeEnd?: Uint8Array): boolean {
    return covers(this.write, key, rangeEnd);
  }
}

function covers(set: readonly Interval[], key: Uint8Array, rangeEnd: Uint8Array | undefined): boolean {
  // etcd: an empty end (one key), or an end not after the key (an inverted range, which selects
  // nothing), is checked as the single key.
  const single = rangeEnd === undefined || rangeEnd.length === 0 || (!isOpenEnd(rangeEnd) && compareBytes(rangeEnd, key) <= 0);
  const want: Interval = single ? { start: key, end: successor(key) } : intervalOf(key, rangeEnd);
  // The merged intervals are disjoint and sorted: the one starting at or before `want.start`
  // with the greatest start is the only one that can contain it.
  let lo = 0;
  let hi = set.length - 1;
  let found: Interval | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const iv = set[mid] as Interval;
    if (compareBytes(iv.start, want.start) <= 0) {
      found = iv;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (found === undefined) return false;
  if (found.end === undefined) return true;
  if (compareBytes(want.start, found.end) >= 0) return false;
  return want.end !== undefined && compareBytes(want.end, found.end) <= 0;
}
