/**
 * Rebuilding the key index from the key bucket's records (etcd's store.restore / restoreIntoIndex):
 * records are replayed in revision order. A key whose older revisions were compacted away starts
 * from its first surviving record, which carries its create revision and version; a key whose first
 * surviving record is a tombstone (compaction keeps one exactly at its revision, etcd PR #19188)
 * starts as deleted at that tombstone. Each record is checked against the history built so far.
 *
 * A million records take ~4 s of CPU (bench/RESULTS.md, issue 18), all of it per record, so only
 * the key and numbers of each record are read, never its value. Fed either by iterating a backend
 * a batch at a time (on open) or record by record as a snapshot streams in
 * (src/server/snapshots.ts), so a received snapshot is not read back from disk to index it. A
 * stream is not ordered by LevelDB, so the order is checked: revisions must strictly increase.
 */
import { iterateBatches, type Backend } from '../storage/backend.js';
import { KvError } from '../util/errors.js';
import { newRecordHeader, readRecordHeader } from './record-header.js';
import { decodeRevKey } from './revision.js';
import { TreeIndex } from './tree-index.js';

export interface RebuiltIndex {
  readonly index: TreeIndex;
  readonly maxRevision: number;
  /**
   * Keys in the index that are deleted at `maxRevision` (their newest record is a tombstone),
   * for LiveKeys: known here for the price of the tombstones, where finding them afterwards
   * walks the whole index (0.1–0.3 s at a million keys, holding the event loop).
   */
  readonly deletedKeys: readonly string[];
  /**
   * `[lease, key]` of every live key with a lease, when the builder saw every record (no image
   * seed): the lessor re-attaches them after a snapshot install, and finding them afterwards walks
   * the whole index while the Ready loop waits (35-70 ms at a million keys). Undefined: walk.
   */
  readonly leasedKeys?: ReadonlyArray<readonly [number, string]>;
}

export interface IndexSeed {
  readonly revision: number;
  readonly newest: number;
  readonly deleted: readonly string[];
}

export class IndexBuilder {
  private readonly header = newRecordHeader();
  private lastMain = -1;
  private lastSub = -1;
  /** Keys that met a tombstone; those still deleted at the end are the result's deletedKeys. */
  private readonly tombstoned = new Set<string>();
  /** Keys that had a lease on some record; those still live with one are the result's leasedKeys. */
  private readonly leased = new Set<string>();
  /** The newest revision the seed (an index image) holds for any key. */
  private seedMax = 0;
  private readonly seedRevision: number | undefined;

  /**
   * `seed`: an index loaded from an image (index-image-load.ts), with the revision the image
   * started at, the newest revision it holds and its deleted keys. A record at or below its key's
   * newest revision in the seed is already in it and is skipped (records are immutable, and the
   * image may hold revisions above the one it started at, for keys encoded after later writes).
   * A key the seed lacks must then be created after the image's start, else the seed missed it.
   */
  constructor(private readonly index = new TreeIndex(), seed?: IndexSeed) {
    if (seed === undefined) return;
    this.seedRevision = seed.revision;
    this.seedMax = seed.newest;
    for (const key of seed.deleted) this.tombstoned.add(key);
  }

  /** Adds one key-bucket record (revision key, stored record); they must come in revision order. */
  add(k: Uint8Array, v: Uint8Array): void {
    const { rev, tombstone } = decodeRevKey(k);
    if (rev.main < this.lastMain || (rev.main === this.lastMain && rev.sub <= this.lastSub)) {
      throw new KvError('StorageCorrupt', `cairn: key record ${rev.main}.${rev.sub} comes after ${this.lastMain}.${this.lastSub}: not in revision order`);
    }
    this.lastMain = rev.main;
    this.lastSub = rev.sub;
    const header = this.header;
    readRecordHeader(v, header);
    const key = header.key;
    let ki = this.index.keyIndex(key);
    if (this.seedRevision !== undefined) {
      if (ki === undefined) {
        if (tombstone || header.createRevision <= this.seedRevision) throw new KvError('StorageCorrupt', `cairn: the index image lacks a key written at ${rev.main}`);
      } else {
        const m = ki.modified;
        if (rev.main < m.main || (rev.main === m.main && rev.sub <= m.sub)) return;
      }
    }
    if (tombstone) {
      this.tombstoned.add(key);
      if (ki === undefined) this.index.add(key).restoreTombstone(rev);
      else if (!ki.isLive()) throw new KvError('StorageCorrupt', `cairn: tombstone at ${rev.main} for a deleted key`);
      else ki.tombstone(rev);
      return;
    }
    if (ki === undefined) {
      ki = this.index.add(key);
      ki.restore({ main: header.createRevision, sub: 0 }, rev, header.version);
    } else {
      ki.put(rev);
    }
    if (!ki.liveMatches(header.version, header.createRevision)) {
      throw new KvError('StorageCorrupt', `cairn: record at revision ${rev.main}.${rev.sub} disagrees with the key's history`);
    }
    ki.lease = header.lease;
    if (header.lease !== 0) this.leased.add(key);
  }

  result(): RebuiltIndex {
    const deletedKeys = [...this.tombstoned].filter((k) => this.index.keyIndex(k)?.isLive() === false);
    const maxRevision = Math.max(0, this.lastMain, this.seedMax);
    // A seed's keys never pass through add(): their leases are only known by walking the index.
    if (this.seedRevision !== undefined) return { index: this.index, maxRevision, deletedKeys };
    const leasedKeys: Array<[number, string]> = [];
    for (const key of [...this.leased].sort()) {
      const ki = this.index.keyIndex(key);
      if (ki !== undefined && ki.isLive() && ki.lease !== 0) leasedKeys.push([ki.lease, key]);
    }
    return { index: this.index, maxRevision, deletedKeys, leasedKeys };
  }
}

export async function rebuildIndex(backend: Backend): Promise<RebuiltIndex> {
  const builder = new IndexBuilder();
  for await (const batch of iterateBatches(backend, 'key')) for (const [k, v] of batch) builder.add(k, v);
  return builder.result();
}
