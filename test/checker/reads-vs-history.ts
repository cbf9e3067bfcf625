/**
 * Checks each read against the store's committed history at the revision the read reported
 * (etcd robustness replays the history for serializable reads the same way). Unlike the
 * linearizability check this also judges serializable (possibly stale) reads: stale is fine,
 * but the value must be what the key held at the revision the response claims.
 * Range reads are checked key by key at their one revision, so a torn snapshot shows up here.
 * The history must be complete from the first write on (e.g. `watchHistoryFromCommits` fed by
 * a CommitListener from an empty store).
 */
import type { Operation } from './history.js';
import type { KvInput, KvOutput } from './kv-model.js';
import { describeKvOperation } from './kv-model.js';
import { expandRangeReads } from './range-reads.js';
import type { WatchEventRecord } from './watch-history.js';

export interface ReadViolation {
  readonly operation: Operation<KvInput, KvOutput>;
  readonly detail: string;
}

export function checkReadsAgainstHistory(
  history: ReadonlyArray<Operation<KvInput, KvOutput>>,
  committed: readonly WatchEventRecord[],
): ReadViolation[] {
  const byKey = new Map<string, WatchEventRecord[]>();
  let lastRevision = 1;
  for (const e of committed) {
    let list = byKey.get(e.key);
    if (list === undefined) byKey.set(e.key, (list = []));
    list.push(e);
    lastRevision = Math.max(lastRevision, e.revision);
  }
  const out: ReadViolation[] = [];
  for (const op of expandRangeReads(history, byKey.keys())) {
    const got = op.output;
    if (op.status !== 'ok' || got?.op !== 'get' || got.revision === undefined) continue;
    const what = `#${op.id} ${describeKvOperation(op.input, got)}`;
    if (got.revision > lastRevision) {
      out.push({ operation: op, detail: `${what} claims revision ${got.revision}, the store only reached ${lastRevision}` });
      continue;
    }
    const events = byKey.get(op.input.key) ?? [];
    let at: WatchEventRecord | undefined;
    for (const e of events) if (e.revision <= got.revision) at = e;
    const value = at?.type === 'PUT' ? at.value : undefined;
    const modRevision = at?.type === 'PUT' ? at.revision : 0;
    if (got.value !== value || (got.modRevision !== undefined && got.modRevision !== modRevision)) {
      const held = value === undefined ? 'absent' : `${JSON.stringify(value)} mod ${modRevision}`;
      out.push({ operation: op, detail: `${what}, but at revision ${got.revision} the key held ${held}` });
    }
  }
  return out;
}
