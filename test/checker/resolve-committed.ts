/**
 * Settles unknown-outcome writes from the committed history, as etcd robustness does from the
 * WAL (`validate/patch_history.go`): the simulator has it from a CommitListener, the chaos
 * harness from a watch from revision 1 at the end of the run. Values are unique, so
 *  - an unknown put/CAS whose value was committed took effect at that revision: it becomes
 *    'ok' with that revision (its return stays +∞; the revision places it);
 *  - one whose value was never committed never took effect: it is dropped;
 *  - unknown deletes are dropped when every committed delete of their key is claimed by an
 *    acknowledged delete (so none of them deleted anything); otherwise they stay unknown.
 * Without this, every unsettled write stays a candidate at every step of the search, which
 * makes proving a bad history illegal exponential (it still finds good ones linearizable).
 */
import { assertNever } from '../../src/util/assert.js';
import type { Operation } from './history.js';
import type { KvInput, KvOutput } from './kv-model.js';
import type { WatchEventRecord } from './watch-history.js';

type KvOp = Operation<KvInput, KvOutput>;

export function resolveWithCommitted(history: ReadonlyArray<KvOp>, committed: readonly WatchEventRecord[]): KvOp[] {
  const putRevision = new Map<string, number>();
  const unclaimedDeletes = new Map<string, Set<number>>();
  for (const e of committed) {
    if (e.type === 'PUT') putRevision.set(`${e.key}\u0000${e.value ?? ''}`, e.revision);
    else {
      let revs = unclaimedDeletes.get(e.key);
      if (revs === undefined) unclaimedDeletes.set(e.key, (revs = new Set()));
      revs.add(e.revision);
    }
  }
  for (const op of history) {
    const out = op.output;
    if (op.status === 'ok' && out?.op === 'delete' && out.deleted > 0 && out.revision !== undefined) {
      unclaimedDeletes.get(op.input.key)?.delete(out.revision);
    }
  }
  return history.flatMap((op): KvOp[] => {
    if (op.status !== 'unknown') return [op];
    const input = op.input;
    switch (input.op) {
      case 'get':
      case 'range':
        return [op];
      case 'delete':
        return (unclaimedDeletes.get(input.key)?.size ?? 0) === 0 ? [] : [op];
      case 'put':
      case 'cas': {
        const revision = putRevision.get(`${input.key}\u0000${input.value}`);
        if (revision === undefined) return [];
        const output: KvOutput = input.op === 'put' ? { op: 'put', revision } : { op: 'cas', succeeded: true, revision };
        return [{ ...op, status: 'ok', output, error: `${op.error ?? 'unknown outcome'}; committed at revision ${revision}` }];
      }
      default:
        return assertNever(input, 'kv input');
    }
  });
}
