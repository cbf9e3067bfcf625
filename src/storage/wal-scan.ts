/**
 * Reads and verifies everything the WAL stores, for `load()` and `repairWal()`. Checks, as
 * raft-pitfalls.md §5.3 asks: every record's CRC; entries contiguous from the first index to the
 * last; terms never decrease and never exceed the hard state's term; the snapshot at or below
 * the commit index and covering everything compacted; the log reaching the commit index.
 */
import { EMPTY_HARD_STATE, type Entry, type HardState, type SnapshotMetadata } from '../raft/types.js';
import { KvError } from '../util/errors.js';
import { decodeEntry, decodeHardState, decodeIndex, decodeSnapshotMeta, type Decoded } from './codec.js';
import { ENTRY_RANGE, FIRST_INDEX_KEY, HARD_STATE_KEY, SNAPSHOT_KEY, TRIM_INDEX_KEY, entryIndexOf, entryKey } from './keys.js';
import { iterateBatches, type KvReader } from './kv.js';

export interface WalMeta {
  readonly hardState: HardState;
  readonly snapshot: SnapshotMetadata | undefined;
  /** First retained entry index. */
  readonly first: number;
  /** Stale entry keys may remain in [trim, first) until the prefix deletion finishes. */
  readonly trim: number;
}

/** The first thing wrong in the log: the entry index where it is, and the stored key to drop from. */
export interface LogProblem {
  readonly index: number;
  readonly key: Uint8Array;
  readonly message: string;
}

export interface WalScan extends WalMeta {
  /** Entries after the snapshot, up to the last valid one. */
  readonly entries: Entry[];
  /** Index of the last valid contiguous entry (first - 1 when none). */
  readonly lastValid: number;
  readonly problem: LogProblem | undefined;
}

export function corrupt(label: string, what: string): KvError {
  return new KvError('StorageCorrupt', `${label}: ${what}`);
}

function expectRecord<T>(label: string, what: string, decoded: Decoded<T>): T {
  if (!decoded.ok) throw corrupt(label, `wal ${what}: ${decoded.problem}`);
  return decoded.value;
}

export async function readWalMeta(kv: KvReader, label: string): Promise<WalMeta> {
  const [hsRaw, snapRaw, firstRaw, trimRaw] = await Promise.all([
    kv.get(HARD_STATE_KEY),
    kv.get(SNAPSHOT_KEY),
    kv.get(FIRST_INDEX_KEY),
    kv.get(TRIM_INDEX_KEY),
  ]);
  const hardState = hsRaw === undefined ? EMPTY_HARD_STATE : expectRecord(label, 'hard state', decodeHardState(HARD_STATE_KEY, hsRaw));
  const snapshot = snapRaw === undefined ? undefined : expectRecord(label, 'snapshot metadata', decodeSnapshotMeta(SNAPSHOT_KEY, snapRaw));
  const first = firstRaw === undefined ? 1 : expectRecord(label, 'first index', decodeIndex(FIRST_INDEX_KEY, firstRaw));
  // Missing until the first prefix deletion: stale keys may then lie anywhere below `first`.
  const trim = trimRaw === undefined ? 1 : expectRecord(label, 'trim index', decodeIndex(TRIM_INDEX_KEY, trimRaw));
  if (first < 1) throw corrupt(label, `wal first index is ${first}`);
  if (trim > first) throw corrupt(label, `wal trim index ${trim} is above the first index ${first}`);
  return { hardState, snapshot, first, trim };
}

type Checked = { readonly ok: true; readonly entry: Entry } | { readonly ok: false; readonly message: string };

/** One stored entry where `expected` should be, checked against its predecessor and the metadata. */
function checkEntry(key: Uint8Array, value: Uint8Array, expected: number, prevTerm: number, meta: WalMeta): Checked {
  const index = entryIndexOf(key);
  if (index === undefined) return { ok: false, message: `malformed key of ${key.length} bytes` };
  if (index !== expected) return { ok: false, message: `missing (the next stored entry is ${index})` };
  const decoded = decodeEntry(key, index, value);
  if (!decoded.ok) return { ok: false, message: decoded.problem };
  const { term } = decoded.value;
  if (term < prevTerm) return { ok: false, message: `term ${term} is below the previous entry's term ${prevTerm}` };
  if (term > meta.hardState.term) return { ok: false, message: `term ${term} is above the hard state's term ${meta.hardState.term}` };
  if (meta.snapshot !== undefined && index === meta.snapshot.index && term !== meta.snapshot.term) {
    return { ok: false, message: `term ${term} differs from the snapshot's term ${meta.snapshot.term} at the snapshot index` };
  }
  return { ok: true, entry: decoded.value };
}

/** Walks the log from the first index; stops at the first bad entry instead of throwing. */
export async function scanWal(kv: KvReader, label: string): Promise<WalScan> {
  const meta = await readWalMeta(kv, label);
  const snapIndex = meta.snapshot?.index ?? 0;
  const entries: Entry[] = [];
  let expected = meta.first;
  let prevTerm = 0;
  let problem: LogProblem | undefined;
  // In batches, each read ahead while the one before is checked: open waited on every entry's read.
  scan: for await (const batch of iterateBatches(kv, { gte: entryKey(meta.first), lt: ENTRY_RANGE.lt })) {
    for (const [key, value] of batch) {
      const checked = checkEntry(key, value, expected, prevTerm, meta);
      if (!checked.ok) {
        problem = { index: expected, key, message: `wal entry ${expected}: ${checked.message}` };
        break scan;
      }
      prevTerm = checked.entry.term;
      if (expected > snapIndex) entries.push(checked.entry);
      expected++;
    }
  }
  return { ...meta, entries, lastValid: expected - 1, problem };
}

/** The invariants between the hard state, the snapshot and the log's extent; throws on a violation. */
export function checkWalInvariants(scan: WalScan, label: string): void {
  const { hardState, snapshot, first, lastValid } = scan;
  const snapIndex = snapshot?.index ?? 0;
  if (snapIndex > hardState.commit) {
    throw corrupt(label, `wal snapshot index ${snapIndex} is above the hard state's commit index ${hardState.commit}`);
  }
  if (snapshot !== undefined && snapshot.term > hardState.term) {
    throw corrupt(label, `wal snapshot term ${snapshot.term} is above the hard state's term ${hardState.term}`);
  }
  if (first - 1 > snapIndex) {
    throw corrupt(label, `wal entries ${snapIndex + 1}..${first - 1} are missing: the first index is ${first} but the snapshot index is ${snapIndex}`);
  }
  const last = Math.max(lastValid, snapIndex);
  if (last < hardState.commit) {
    throw corrupt(label, `wal entry ${last + 1}: missing (the log ends at ${last} but the hard state's commit index is ${hardState.commit}; truncated tail)`);
  }
}
