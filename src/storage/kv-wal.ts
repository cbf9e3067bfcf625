/**
 * The WAL over an OrderedKv, shared by LevelWal and MemoryWal so the twins behave identically by
 * construction. Operations are serialized: LevelDB applies concurrent batches in whatever order
 * its threads reach the writer queue, and WAL batches must land in call order.
 *
 * The WAL is also the data dir's only writer of backend data (docs/architecture.md, "Storage
 * invariant"): every synced batch it writes also takes the backend's pending writes (`carry`).
 * LevelDB does not promise that a synced write makes earlier unsynced ones durable (a rotated
 * log is never synced), so no write here relies on that.
 */
import { hardStateEqual, type Entry, type HardState, type SnapshotMetadata } from '../raft/types.js';
import { assert } from '../util/assert.js';
import { KvError } from '../util/errors.js';
import { decodeEntry, encodeEntry, encodeHardState, encodeIndex, encodeSnapshotMeta } from './codec.js';
import { FIRST_INDEX_KEY, HARD_STATE_KEY, SNAPSHOT_KEY, TRIM_INDEX_KEY, entryIndexOf, entryKey } from './keys.js';
import type { KvOp, OrderedKv } from './kv.js';
import type { SaveOptions, Wal, WalState } from './wal.js';
import { checkWalInvariants, corrupt, scanWal, type WalMeta } from './wal-scan.js';

/** Writes another store hands the WAL to land in its next batch (see KvWal.carry). */
export interface CarriedWrites {
  readonly ops: readonly KvOp[];
  /** They are in the store, durably. */
  landed(): void;
  /** The batch failed: the writes are not durable, and never will be. */
  failed(err: Error): void;
}

function hardStateOp(hs: HardState): KvOp {
  return { type: 'put', key: HARD_STATE_KEY, value: encodeHardState(HARD_STATE_KEY, hs) };
}

/** Stale entry keys deleted per batch after compaction: bounds each batch's size. */
export const TRIM_CHUNK = 4096;

interface Durable extends WalMeta {
  /** Last stored index (the snapshot index when the log after it is empty). */
  readonly last: number;
}

/**
 * The hard state stored with a snapshot. A snapshot holds only committed state, so its index is a
 * known commit index; and a node that received it from a leader of a newer term is in that term.
 * Raising the term resets the vote: a vote in the new term would already be stored (raft persists
 * votes before sending them), so none was cast. Without this, a crash between `saveSnapshot` and
 * the Ready's `save` would leave a snapshot above the stored commit or term, which `load` refuses.
 */
function snapshotHardState(stored: HardState, given: HardState | undefined, meta: SnapshotMetadata): HardState {
  const base = given ?? stored;
  assert(base.term >= stored.term && base.commit >= stored.commit, 'wal saveSnapshot: hard state goes back');
  if (meta.term > base.term) return { term: meta.term, vote: 0, commit: Math.max(base.commit, meta.index) };
  return meta.index > base.commit ? { ...base, commit: meta.index } : base;
}

export class KvWal implements Wal {
  private state: Durable | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;
  private closed = false;
  /** The prefix deletion in progress, if any (see trim); close() waits for it. */
  private trimRun: Promise<void> | undefined;
  /** Set while moveTo stops the prefix deletion. */
  private moving = false;
  /**
   * The hard state in `state` has a commit index no batch has stored yet: a commit-only save
   * writes nothing (its loss would be harmless anyway), and the next synced batch stores it.
   */
  private commitUnstored = false;

  /** Takes the backend's pending writes; see carry. */
  private take: (() => CarriedWrites | undefined) | undefined;

  constructor(protected readonly kv: OrderedKv) {}

  /**
   * Every synced batch this WAL writes from now on also takes the writes `take` hands over (a data
   * dir's buffered backend: applied entries' effects with their applied index) and lands them in
   * it. So the backend's durable state is always a prefix of its write history, and a snapshot
   * record or a first-index move is never durable without the applied state under it.
   */
  carry(take: () => CarriedWrites | undefined): void {
    this.take = take;
  }

  /** Lands the carried writes pending now in one synced batch (the backend's flush, when idle or full). */
  async flushCarried(): Promise<void> {
    return this.exclusive(() => this.land([], true));
  }

  get label(): string {
    return this.kv.label;
  }

  async load(): Promise<WalState> {
    return this.exclusive(async () => {
      assert(this.state === undefined, 'wal load() called twice');
      const scan = await scanWal(this.kv, this.label);
      if (scan.problem !== undefined) throw corrupt(this.label, scan.problem.message);
      checkWalInvariants(scan, this.label);
      const snapIndex = scan.snapshot?.index ?? 0;
      this.state = { hardState: scan.hardState, snapshot: scan.snapshot, first: scan.first, trim: scan.trim, last: Math.max(scan.lastValid, snapIndex) };
      return { hardState: scan.hardState, snapshot: scan.snapshot, entries: scan.entries, firstIndex: snapIndex + 1 };
    }).then(async (loaded) => {
      await this.trim(); // finish a prefix deletion a crash interrupted
      return loaded;
    });
  }

  async save(hardState: HardState | undefined, entries: readonly Entry[], options: SaveOptions): Promise<void> {
    return this.exclusive(async () => {
      const s = this.loaded();
      const hs = hardState ?? s.hardState;
      const mustSync = entries.length > 0 || hs.term !== s.hardState.term || hs.vote !== s.hardState.vote;
      assert(!mustSync || options.sync, 'wal save: entries and term/vote changes must be synced (raft MustSync)');
      assert(hs.term >= s.hardState.term, () => `wal save: term goes back from ${s.hardState.term} to ${hs.term}`);
      assert(hs.commit >= s.hardState.commit, () => `wal save: commit goes back from ${s.hardState.commit} to ${hs.commit}`);
      if (!options.sync && entries.length === 0) {
        // Only the commit index changed (raft's MustSync is false). Losing it is harmless, so it
        // is not written on its own: a LevelDB write here cost every follower a thread-pool
        // round trip per commit, before its apply and its next append. The next synced batch
        // stores it (land).
        if (!hardStateEqual(hs, s.hardState)) this.commitUnstored = true;
        this.state = { ...s, hardState: hs };
        return;
      }
      const ops: KvOp[] = [];
      let last = s.last;
      const head = entries[0];
      if (head !== undefined) {
        assert(head.index >= s.first && head.index > (s.snapshot?.index ?? 0), () => `wal save: entry ${head.index} is compacted (first index ${s.first})`);
        assert(head.index <= s.last + 1, () => `wal save: entry ${head.index} leaves a gap after ${s.last}`);
        assert(head.index > s.hardState.commit, () => `wal save: entry ${head.index} would overwrite committed entries (commit ${s.hardState.commit})`);
        entries.forEach((e, i) => {
          assert(e.index === head.index + i, () => `wal save: entries not contiguous at ${e.index}`);
          assert(e.term <= hs.term, () => `wal save: entry ${e.index} has term ${e.term} above the hard state's ${hs.term}`);
          const key = entryKey(e.index);
          ops.push({ type: 'put', key, value: encodeEntry(key, e) });
        });
        const newLast = head.index + entries.length - 1;
        // A conflicting suffix goes in the same batch as the entries replacing it (raft-pitfalls §5.3).
        for (let i = newLast + 1; i <= s.last; i++) ops.push({ type: 'del', key: entryKey(i) });
        last = newLast;
      }
      assert(hs.commit <= last, () => `wal save: commit ${hs.commit} is beyond the last entry ${last}`);
      if (!hardStateEqual(hs, s.hardState)) ops.push(hardStateOp(hs));
      await this.land(ops, options.sync);
      this.state = { ...s, hardState: hs, last };
    });
  }

  async saveSnapshot(meta: SnapshotMetadata, hardState?: HardState): Promise<void> {
    return this.exclusive(async () => {
      const s = this.loaded();
      const prev = s.snapshot?.index ?? 0;
      assert(meta.index >= prev, () => `wal saveSnapshot: snapshot ${meta.index} is older than the stored ${prev}`);
      const ops: KvOp[] = [{ type: 'put', key: SNAPSHOT_KEY, value: encodeSnapshotMeta(SNAPSHOT_KEY, meta) }];
      let { first, last } = s;
      if (!(await this.holdsEntry(s, meta.index, meta.term))) {
        // The snapshot replaces the log (Raft §7): stale entries after it would break Log Matching.
        for (let i = Math.max(s.first, meta.index + 1); i <= s.last; i++) ops.push({ type: 'del', key: entryKey(i) });
        first = meta.index + 1;
        last = meta.index;
        ops.push({ type: 'put', key: FIRST_INDEX_KEY, value: encodeIndex(FIRST_INDEX_KEY, first) });
      }
      const hs = snapshotHardState(s.hardState, hardState, meta);
      if (!hardStateEqual(hs, s.hardState)) ops.push(hardStateOp(hs));
      await this.land(ops, true);
      this.state = { ...s, snapshot: meta, hardState: hs, first, last };
    });
  }

  async compact(throughIndex: number): Promise<void> {
    await this.exclusive(async () => {
      const s = this.loaded();
      const snapIndex = s.snapshot?.index ?? 0;
      assert(throughIndex <= snapIndex, () => `wal compact: ${throughIndex} is beyond the snapshot index ${snapIndex}`);
      if (throughIndex < s.first) return;
      // Synced before any entry below it is deleted: a trim batch that survived a power loss
      // without this record would leave a gap that the next open refuses.
      const first = throughIndex + 1;
      await this.land([{ type: 'put', key: FIRST_INDEX_KEY, value: encodeIndex(FIRST_INDEX_KEY, first) }], true);
      this.state = { ...s, first };
    });
    // The prefix deletion (and LevelDB's compaction of its range: ~1 s for 100k entries) runs
    // beside the queue: a member's Ready loop awaits this call, and waiting for the deletion
    // stalled every write (and the leader's heartbeats) for that second at each snapshot. Its
    // failure is kept in `failure` and fails the next save; a crash leaves it to the next open.
    void this.trim().catch(() => undefined);
  }

  /** Resolves when no prefix deletion is running; rejects if the last one failed. */
  async trimmed(): Promise<void> {
    while (this.trimRun !== undefined) await this.trimRun;
  }

  /**
   * Moves the WAL onto another store (a snapshot install's staged store, see data-dir.ts), in
   * the queue so no save straddles the move. `move` receives the records the new store must hold
   * for the WAL to stand at snapshot `meta`: the snapshot, the first and trim indexes, the hard
   * state (as saveSnapshot would store it) and any entries after `meta` this log keeps; it must
   * write them to the new store, sync it and switch to it before it resolves.
   */
  async moveTo(meta: SnapshotMetadata, move: (records: KvOp[]) => Promise<void>): Promise<void> {
    return this.exclusive(async () => {
      // The backend's pending writes belong to the old store: land them there first, or they
      // would be carried into the new store (or shadow it from the buffer's overlay).
      await this.land([], true);
      // A prefix deletion runs beside the queue on the old store: stop it, and start none until
      // the move is done (nothing the new store holds is stale).
      this.moving = true;
      try {
        while (this.trimRun !== undefined) await this.trimRun.catch(() => undefined);
        const s = this.loaded();
        assert(meta.index >= (s.snapshot?.index ?? 0), () => `wal moveTo: snapshot ${meta.index} is older than the stored one`);
        const first = meta.index + 1;
        const hardState = snapshotHardState(s.hardState, undefined, meta);
        const records: KvOp[] = [
          { type: 'put', key: SNAPSHOT_KEY, value: encodeSnapshotMeta(SNAPSHOT_KEY, meta) },
          { type: 'put', key: FIRST_INDEX_KEY, value: encodeIndex(FIRST_INDEX_KEY, first) },
          { type: 'put', key: TRIM_INDEX_KEY, value: encodeIndex(TRIM_INDEX_KEY, first) },
          { type: 'put', key: HARD_STATE_KEY, value: encodeHardState(HARD_STATE_KEY, hardState) },
        ];
        let last = meta.index;
        if (s.last > meta.index && (await this.holdsEntry(s, meta.index, meta.term))) {
          // Raft keeps a log that matches the snapshot (Raft §7): carry it over unchanged.
          for await (const [key, value] of this.kv.iterate({ gte: entryKey(first), lt: entryKey(s.last + 1) })) {
            records.push({ type: 'put', key, value });
          }
          last = s.last;
        }
        await move(records);
        this.state = { hardState, snapshot: meta, first, trim: first, last };
      } finally {
        this.moving = false;
      }
    });
  }

  async close(): Promise<void> {
    await this.exclusive(async () => {
      // A clean stop keeps the newest commit index (unsynced, as etcd's), for a quicker restart.
      if (this.commitUnstored && this.state !== undefined) await this.kv.batch([hardStateOp(this.state.hardState)], { sync: false });
      this.commitUnstored = false;
      this.closed = true;
    }).catch(() => undefined);
    this.closed = true;
    await this.trimRun?.catch(() => undefined); // the owner closes the store next
  }

  /**
   * Deletes stale entry keys in [trim, first) in bounded chunks, then compacts the range. Runs
   * beside the queue, not in it: it touches only keys below the first index, which no other
   * operation reads or writes, so saves never wait behind it. One run at a time.
   */
  private async trim(): Promise<void> {
    while (this.trimRun !== undefined) await this.trimRun;
    const s = this.loaded();
    if (s.trim >= s.first || this.closed || this.moving) return;
    this.trimRun = this.runTrim(s.trim).finally(() => {
      this.trimRun = undefined;
    });
    await this.trimRun;
  }

  private async runTrim(start: number): Promise<void> {
    let deleted = 0;
    for (;;) {
      if (this.closed || this.moving || this.failure !== undefined) return; // resumed on the next open
      const { trim, first } = this.loaded();
      if (trim >= first) break;
      const ops: KvOp[] = [];
      let next = first;
      for await (const key of this.kv.keys({ gte: entryKey(trim), lt: entryKey(first), limit: TRIM_CHUNK })) {
        ops.push({ type: 'del', key });
        next = (entryIndexOf(key) ?? first - 1) + 1;
      }
      if (ops.length < TRIM_CHUNK) next = first;
      ops.push({ type: 'put', key: TRIM_INDEX_KEY, value: encodeIndex(TRIM_INDEX_KEY, next) });
      try {
        // Synced, so the proof that a lost write is harmless never has to reason about it.
        await this.kv.batch(ops, { sync: true });
      } catch (err) {
        this.failure ??= err as Error;
        throw err;
      }
      deleted += ops.length - 1;
      this.state = { ...this.loaded(), trim: next }; // re-read: saves may have replaced the state meanwhile
    }
    // Tombstones linger until compaction and slow scans from the head (google/leveldb#777).
    if (deleted > 0) await this.kv.compactRange(entryKey(start), entryKey(this.loaded().first));
  }

  /**
   * Writes `ops` in one batch, and when it is synced, the carried backend writes pending now with
   * them. A synced batch that carries backend writes, or follows commit-only saves (which write
   * nothing), also records the hard state as it stands: the newest commit index known here.
   */
  private async land(ops: KvOp[], sync: boolean): Promise<void> {
    const carried = sync ? this.take?.() : undefined;
    const hs = this.state?.hardState;
    if (sync && hs !== undefined && (carried !== undefined || this.commitUnstored) && !ops.some((op) => op.key === HARD_STATE_KEY)) {
      ops.push(hardStateOp(hs));
    }
    // Any hard state a batch stores is at least the one in `state` (saves never go back).
    const storesHardState = ops.some((op) => op.key === HARD_STATE_KEY);
    try {
      await this.kv.batch(carried === undefined ? ops : [...carried.ops, ...ops], { sync });
    } catch (err) {
      carried?.failed(err as Error);
      throw err;
    }
    if (storesHardState) this.commitUnstored = false;
    carried?.landed();
  }

  private async holdsEntry(s: Durable, index: number, term: number): Promise<boolean> {
    if (s.snapshot !== undefined && s.snapshot.index === index) return s.snapshot.term === term;
    if (index < s.first || index > s.last) return false;
    const key = entryKey(index);
    const stored = await this.kv.get(key);
    if (stored === undefined) throw corrupt(this.label, `wal entry ${index}: missing`);
    const decoded = decodeEntry(key, index, stored);
    if (!decoded.ok) throw corrupt(this.label, `wal entry ${index}: ${decoded.problem}`);
    return decoded.value.term === term;
  }

  private loaded(): Durable {
    assert(this.state !== undefined, 'wal used before load()');
    return this.state;
  }

  /** Runs `fn` after every earlier operation; a failed write poisons the WAL (etcd panics there). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.closed) throw new KvError('Stopped', `${this.label}: wal is closed`);
      if (this.failure !== undefined) throw this.failure;
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof KvError && err.code === 'Stopped')) this.failure ??= err as Error;
        throw err;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
