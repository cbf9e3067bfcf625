/**
 * `snapshot restore` (etcdutl's): a new cluster from a backup made by `snapshot save`. The
 * backup's key space, revisions and leases are kept; the membership is the new
 * `--initial-cluster` (new member and cluster IDs), and raft starts afresh at index 1, as
 * etcdutl does. Restore every member of the new cluster from the same file.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { openDataDir } from '../storage/data-dir.js';
import { KvError } from '../util/errors.js';
import { initializeNewCluster } from './bootstrap.js';
import type { MemberConfig } from './config.js';
import type { Member as MemberRecord } from './membership.js';

export const SNAPSHOT_HASH_BYTES = 32;

export interface RestoreOptions {
  /** etcdutl's --skip-hash-check: for a file without the SHA-256 trailer. */
  readonly skipHashCheck?: boolean;
}

export interface RestoreResult {
  readonly members: MemberRecord[];
  readonly clusterId: number;
}

export async function restoreSnapshotFile(file: string, config: MemberConfig, o: RestoreOptions = {}): Promise<RestoreResult> {
  const existing = await readdir(config.dataDir).catch(() => []);
  if (existing.length > 0) throw new KvError('InvalidArgument', `data-dir "${config.dataDir}" exists`);
  const data = new Uint8Array(await readFile(file));
  let body = data;
  if (!o.skipHashCheck) {
    if (data.length < SNAPSHOT_HASH_BYTES) throw new KvError('StorageCorrupt', `${file}: too short to be a snapshot`);
    body = data.subarray(0, data.length - SNAPSHOT_HASH_BYTES);
    const expected = Buffer.from(data.subarray(data.length - SNAPSHOT_HASH_BYTES));
    const actual = createHash('sha256').update(body).digest();
    if (!actual.equals(expected)) throw new KvError('StorageCorrupt', `${file}: snapshot file integrity check failed (SHA-256 mismatch)`);
  }
  const dataDir = await openDataDir(config.dataDir);
  try {
    await dataDir.wal.load();
    // The body is the backend chunks back to back; restore finds them in the bytes.
    await dataDir.backend.restore((async function* () {
      yield body;
    })());
    const oldMembers: Uint8Array[] = [];
    for await (const [key] of dataDir.backend.iterate('members')) oldMembers.push(key);
    const cluster = await initializeNewCluster({ ...config, initialClusterState: 'new' }, dataDir.wal, dataDir.backend, oldMembers);
    return { members: cluster.list(), clusterId: cluster.clusterId };
  } finally {
    await dataDir.close();
  }
}
