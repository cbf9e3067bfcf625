/**
 * HashKV (etcd's store.HashByRev, 3.5 form): a chained CRC-32C over the key bucket's raw records
 * up to `rev`, so members holding the same history agree whatever their physical compaction
 * progress. Records at or below the compacted revision count only if they are the key's newest
 * live revision at that point; a tombstone exactly at the compacted revision is kept by
 * compaction (etcd #19179) but, as etcd's keep() does, left out of the hash so members agree
 * whether or not they hold it. Later records all count.
 */
import type { BackendSnapshot } from '../storage/backend.js';
import { crc32c } from '../util/crc.js';
import { utf8 } from '../util/bytes.js';
import { decodeRecordShared } from './records.js';
import { decodeRevKey, revKeyLowerBound } from './revision.js';
import { indexKey, type TreeIndex } from './tree-index.js';

const YIELD_EVERY = 1000;

export async function hashKeyBucket(
  snap: BackendSnapshot,
  index: TreeIndex,
  rev: number,
  compactRev: number,
  yieldNow: () => Promise<void>,
): Promise<number> {
  let crc = crc32c(utf8('key'));
  let n = 0;
  for await (const [k, v] of snap.iterate('key', { lt: revKeyLowerBound(rev + 1) })) {
    const { rev: r } = decodeRevKey(k);
    if (r.main <= compactRev) {
      const hit = index.get(indexKey(decodeRecordShared(v).key), compactRev);
      if (hit === undefined || hit.modified.main !== r.main || hit.modified.sub !== r.sub) continue;
    }
    crc = crc32c(v, crc32c(k, crc));
    if (++n % YIELD_EVERY === 0) await yieldNow();
  }
  return crc;
}
