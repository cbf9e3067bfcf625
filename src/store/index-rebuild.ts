/**
 * Rebuilding the key index from the key bucket on open (etcd's store.restore / restoreIntoIndex):
 * records are replayed in revision order. A key whose older revisions were compacted away starts
 * from its first surviving record, which carries its create revision and version; a key whose first
 * surviving record is a tombstone (compaction keeps one exactly at its revision, etcd PR #19188)
 * starts as deleted at that tombstone. Each record is checked against the history built so far.
 *
 * A million records take ~7 s of CPU (bench/RESULTS.md, issue 18), all of it per record, so the
 * loop reads the bucket a batch at a time and only the key and numbers of each record, never
 * allocating its value.
 */
import { iterateBatches, type Backend } from '../storage/backend.js';
import { KvError } from '../util/errors.js';
import { newRecordHeader, readRecordHeader, type RecordHeader } from './record-header.js';
import { decodeRevKey } from './revision.js';
import { TreeIndex } from './tree-index.js';

export interface RebuiltIndex {
  readonly index: TreeIndex;
  readonly maxRevision: number;
}

export async function rebuildIndex(backend: Backend): Promise<RebuiltIndex> {
  const index = new TreeIndex();
  let maxRevision = 0;
  const header = newRecordHeader();
  for await (const batch of iterateBatches(backend, 'key')) {
    for (const [k, v] of batch) maxRevision = Math.max(maxRevision, addRecord(index, k, v, header));
  }
  return { index, maxRevision };
}

/** Replays one record into the index; returns its main revision. */
function addRecord(index: TreeIndex, revKey: Uint8Array, record: Uint8Array, header: RecordHeader): number {
  const { rev, tombstone } = decodeRevKey(revKey);
  readRecordHeader(record, header);
  const key = header.key;
  let ki = index.keyIndex(key);
  if (tombstone) {
    if (ki === undefined) index.add(key).restoreTombstone(rev);
    else if (!ki.isLive()) throw new KvError('StorageCorrupt', `cairn: tombstone at ${rev.main} for a deleted key`);
    else ki.tombstone(rev);
    return rev.main;
  }
  if (ki === undefined) {
    ki = index.add(key);
    ki.restore({ main: header.createRevision, sub: 0 }, rev, header.version);
  } else {
    ki.put(rev);
  }
  if (!ki.liveMatches(header.version, header.createRevision)) {
    throw new KvError('StorageCorrupt', `cairn: record at revision ${rev.main}.${rev.sub} disagrees with the key's history`);
  }
  ki.lease = header.lease;
  return rev.main;
}
