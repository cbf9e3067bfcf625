/**
 * The WAL of a member's LevelDB (handed out by `openDataDir`), and `repairWal`, the offline
 * repair the CLI wraps: like etcd's `wal.Repair`, it drops only a bad tail that was never
 * acknowledged.
 */
import { KvWal } from './kv-wal.js';
import { ENTRY_RANGE, entryIndexOf } from './keys.js';
import type { KvOp, OrderedKv } from './kv.js';
import { checkWalInvariants, corrupt, scanWal } from './wal-scan.js';

export class LevelWal extends KvWal {}

export interface RepairResult {
  /** Entry keys deleted (0 when the WAL was already sound). */
  readonly dropped: number;
  /** The last entry index kept. */
  readonly lastIndex: number;
}

const REPAIR_BATCH = 1024;

/**
 * Drops every entry from the first bad one on, if that entry is beyond the hard state's commit
 * index. Only a torn, never-synced tail is certainly unacknowledged (a member answers after its
 * synced batch); a bad record above commit that had been synced may have been acknowledged to a
 * leader, which is why this is an explicit operator command and never automatic. Corruption at
 * or below commit, or in the hard state or snapshot records, is a refusal (KvError StorageCorrupt).
 */
export async function repairKv(kv: OrderedKv): Promise<RepairResult> {
  const scan = await scanWal(kv, kv.label);
  const problem = scan.problem;
  if (problem === undefined) {
    checkWalInvariants(scan, kv.label);
    return { dropped: 0, lastIndex: Math.max(scan.lastValid, scan.snapshot?.index ?? 0) };
  }
  if (problem.index <= scan.hardState.commit) {
    throw corrupt(kv.label, `${problem.message}; not repairable: at or below the commit index ${scan.hardState.commit}`);
  }
  let dropped = 0;
  let ops: KvOp[] = [];
  // From the offending key on: it may be malformed and sort before entryKey(problem.index).
  for await (const key of kv.keys({ gte: problem.key, lt: ENTRY_RANGE.lt })) {
    if (entryIndexOf(key) !== undefined && (entryIndexOf(key) as number) < problem.index) continue;
    ops.push({ type: 'del', key });
    dropped++;
    if (ops.length >= REPAIR_BATCH) {
      await kv.batch(ops, { sync: true });
      ops = [];
    }
  }
  await kv.batch(ops, { sync: true });
  const after = await scanWal(kv, kv.label);
  if (after.problem !== undefined) throw corrupt(kv.label, `${after.problem.message}; repair did not converge`);
  checkWalInvariants(after, kv.label);
  return { dropped, lastIndex: Math.max(after.lastValid, after.snapshot?.index ?? 0) };
}
