/**
 * Rebuilding the key index from the key bucket on open (etcd's store.restore / restoreIntoIndex):
 * records are replayed in revision order. A key whose older revisions were compacted away starts
 * from its first surviving record, which carries its create revision and version; a key whose first
 * surviving record is a tombstone (compaction keeps one exactly at its revision, etcd PR #19188)
 * starts as deleted at that tombstone. Each record is checked against the history built so far.
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

export async function rebuildIndex(backend: Backend): Promise<RebuiltIndex> {
  const index = new TreeIndex();
  let maxRevision = 0;
  for await (const [k, v] of backend.iterate('key')) {
    const { rev, tombstone } = decodeRevKey(k);
    const kv = decodeRecordShared(v);
    const key = indexKey(kv.key);
    maxRevision = Math.max(maxRevision, rev.main);
    let ki = index.keyIndex(key);
    if (tombstone) {
      if (ki === undefined) {
        index.getOrCreate(key).restoreTombstone(rev);
        continue;
      }
      if (!ki.isLive()) throw new KvError('StorageCorrupt', `cairn: tombstone at ${rev.main} for a deleted key`);
      ki.tombstone(rev);
      continue;
    }
    if (ki === undefined) {
      ki = index.getOrCreate(key);
      ki.restore({ main: kv.createRevision, sub: 0 }, rev, kv.version);
    } else {
      ki.put(rev);
    }
    if (!ki.liveMatches(kv.version, kv.createRevision)) {
      throw new KvError('StorageCorrupt', `cairn: record at revision ${rev.main}.${rev.sub} disagrees with the key's history`);
    }
    ki.lease = kv.lease;
  }
  return { index, maxRevision };
}
