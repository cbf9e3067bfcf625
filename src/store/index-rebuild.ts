/**
 * Rebuilding the key index from the key bucket's records (etcd's store.restore / restoreIntoIndex):
 * records are replayed in revision order. A key whose older revisions were compacted away starts
 * from its first surviving record, which carries its create revision and version; a key whose first
 * surviving record is a tombstone (compaction keeps one exactly at its revision, etcd PR #19188)
 * starts as deleted at that tombstone. Each record is checked against the history built so far.
 *
 * Fed either by iterating a backend (on open) or record by record as a snapshot streams in
 * (src/server/snapshots.ts), so a received snapshot is not read back from disk to index it. A
 * stream is not ordered by LevelDB, so the order is checked: revisions must strictly increase.
 */
import type { Backend } from '../storage/backend.js';
import { KvError } from '../util/errors.js';
import { decodeRecordShared } from './records.js';
import { decodeRevKey } from './revision.js';
import { indexKey, TreeIndex } from './tree-index.js';

export interface RebuiltIndex {
  readonly index: TreeIndex;
  readonly maxRevision: number;
}

export class IndexBuilder {
  private readonly index = new TreeIndex();
  private lastMain = -1;
  private lastSub = -1;

  /** Adds one key-bucket record (revision key, stored record); they must come in revision order. */
  add(k: Uint8Array, v: Uint8Array): void {
    const { rev, tombstone } = decodeRevKey(k);
    if (rev.main < this.lastMain || (rev.main === this.lastMain && rev.sub <= this.lastSub)) {
      throw new KvError('StorageCorrupt', `cairn: key record ${rev.main}.${rev.sub} comes after ${this.lastMain}.${this.lastSub}: not in revision order`);
    }
    this.lastMain = rev.main;
    this.lastSub = rev.sub;
    const kv = decodeRecordShared(v);
    const key = indexKey(kv.key);
    let ki = this.index.keyIndex(key);
    if (tombstone) {
      if (ki === undefined) {
        this.index.getOrCreate(key).restoreTombstone(rev);
        return;
      }
      if (!ki.isLive()) throw new KvError('StorageCorrupt', `cairn: tombstone at ${rev.main} for a deleted key`);
      ki.tombstone(rev);
      return;
    }
    if (ki === undefined) {
      ki = this.index.getOrCreate(key);
      ki.restore({ main: kv.createRevision, sub: 0 }, rev, kv.version);
    } else {
      ki.put(rev);
    }
    if (!ki.liveMatches(kv.version, kv.createRevision)) {
      throw new KvError('StorageCorrupt', `cairn: record at revision ${rev.main}.${rev.sub} disagrees with the key's history`);
    }
    ki.lease = kv.lease;
  }

  result(): RebuiltIndex {
    return { index: this.index, maxRevision: Math.max(0, this.lastMain) };
  }
}

export async function rebuildIndex(backend: Backend): Promise<RebuiltIndex> {
  const builder = new IndexBuilder();
  for await (const [k, v] of backend.iterate('key')) builder.add(k, v);
  return builder.result();
}
