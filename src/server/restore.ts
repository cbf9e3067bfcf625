/**
 * `snapshot restore` (etcdutl's): a new cluster from a backup made by `snapshot save`. The
 * backup's key space, revisions and leases are kept; the membership is the new
 * `--initial-cluster` (new member and cluster IDs), and raft starts afresh at index 1, as
 * etcdutl does. Restore every member of the new cluster from the same file.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { openDataDir } from '../storage/data-dir.js';
import { KvError } from '../util/errors.js';
import { initializeNewCluster } from './bootstrap.js';
import type { MemberConfig } from './config.js';
import type { Member as MemberRecord } from './membership.js';

export const SNAPSHOT_HASH_BYTES = 32;
/** Bytes read at a time: the file is streamed, never held whole. */
const PIECE_BYTES = 1 << 20;

/** The first `bytes` bytes of `file`, a piece at a time. */
async function* pieces(file: string, bytes: number): AsyncIterable<Uint8Array> {
  if (bytes > 0) yield* createReadStream(file, { end: bytes - 1, highWaterMark: PIECE_BYTES }) as AsyncIterable<Uint8Array>;
}

/** Checks the SHA-256 trailer against the first `bodyBytes` bytes, reading the file in pieces. */
async function checkHash(file: string, bodyBytes: number): Promise<void> {
  const hash = createHash('sha256');
  for await (const piece of pieces(file, bodyBytes)) hash.update(piece);
  const expected = Buffer.alloc(SNAPSHOT_HASH_BYTES);
  const fh = await open(file, 'r');
  try {
    await fh.read(expected, 0, SNAPSHOT_HASH_BYTES, bodyBytes);
  } finally {
    await fh.close();
  }
  if (!hash.digest().equals(expected)) throw new KvError('StorageCorrupt', `${file}: snapshot file integrity check failed (SHA-256 mismatch)`);
}

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
  const size = (await stat(file)).size;
  let bodyBytes = size;
  if (!o.skipHashCheck) {
    if (size < SNAPSHOT_HASH_BYTES) throw new KvError('StorageCorrupt', `${file}: too short to be a snapshot`);
    bodyBytes = size - SNAPSHOT_HASH_BYTES;
    await checkHash(file, bodyBytes);
  }
  const dataDir = await openDataDir(config.dataDir);
  try {
    await dataDir.wal.load();
    // The body is the backend chunks back to back, read in pieces; restore finds the chunks.
    await dataDir.backend.restore(pieces(file, bodyBytes));
    const oldMembers: Uint8Array[] = [];
    for await (const [key] of dataDir.backend.iterate('members')) oldMembers.push(key);
    const cluster = await initializeNewCluster({ ...config, initialClusterState: 'new' }, dataDir.wal, dataDir.backend, oldMembers);
    return { members: cluster.list(), clusterId: cluster.clusterId };
  } finally {
    await dataDir.close();
  }
}
