/**
 * The cross-key half of checking etcd's KV (the per-key half is `kv-model.ts`): etcd has one
 * store revision for all keys, so a per-key search cannot see these anomalies on its own.
 *  - unique: two acknowledged writes that changed something never share a revision (only a
 *    multi-key txn could, and the model has none);
 *  - real time: if A returned before B was invoked, B observes a revision ≥ A's, and > A's if B
 *    changed something (etcd: "revision monotonic with real time");
 *  - attribution: a modRevision a read reports for a key is never the revision of an
 *    acknowledged write to a different key.
 */
import { assertNever } from '../../src/util/assert.js';
import { precedes, type Operation } from './history.js';
import { describeKvOperation, type KvInput, type KvOutput } from './kv-model.js';

export type RevisionViolationKind = 'duplicate-revision' | 'revision-went-back' | 'foreign-mod-revision';

export interface RevisionViolation {
  readonly kind: RevisionViolationKind;
  readonly detail: string;
  readonly operations: ReadonlyArray<Operation<KvInput, KvOutput>>;
}

type KvOp = Operation<KvInput, KvOutput>;

/** The op changed the store: it got a fresh revision. */
export function isMutation(output: KvOutput): boolean {
  switch (output.op) {
    case 'get':
    case 'range':
      return false;
    case 'put':
      return true;
    case 'delete':
      return output.deleted > 0;
    case 'cas':
      return output.succeeded;
    default:
      return assertNever(output, 'kv output');
  }
}

const show = (op: KvOp): string =>
  `#${op.id} client ${op.client} ${describeKvOperation(op.input, op.output)} [${op.call}, ${op.return}]`;

export function checkRevisions(history: ReadonlyArray<KvOp>): RevisionViolation[] {
  const acked = history.filter(
    (op): op is KvOp & { output: KvOutput } => op.status === 'ok' && op.output !== undefined && op.output.revision !== undefined,
  );
  return [...uniqueRevisions(acked), ...realTimeOrder(acked), ...modRevisionAttribution(acked)];
}

function uniqueRevisions(acked: ReadonlyArray<KvOp & { output: KvOutput }>): RevisionViolation[] {
  const out: RevisionViolation[] = [];
  const byRevision = new Map<number, KvOp>();
  for (const op of acked) {
    if (!isMutation(op.output)) continue;
    const rev = op.output.revision as number;
    const other = byRevision.get(rev);
    if (other === undefined) byRevision.set(rev, op);
    else out.push({ kind: 'duplicate-revision', detail: `two writes got revision ${rev}: ${show(other)} and ${show(op)}`, operations: [other, op] });
  }
  return out;
}

/** Sweep ops by call time, folding in every op that returned before that call. */
function realTimeOrder(acked: ReadonlyArray<KvOp & { output: KvOutput }>): RevisionViolation[] {
  const out: RevisionViolation[] = [];
  const byCall = [...acked].sort((a, b) => a.call - b.call || (a.callSeq ?? 0) - (b.callSeq ?? 0));
  const byReturn = [...acked].sort((a, b) => a.return - b.return || (a.returnSeq ?? 0) - (b.returnSeq ?? 0));
  let folded = 0;
  let highest: KvOp | undefined;
  const revOf = (op: KvOp): number => op.output?.revision ?? 0;
  for (const b of byCall) {
    // byReturn is sorted by the same (time, seq) order precedes() uses for its return side.
    while (folded < byReturn.length && precedes(byReturn[folded] as KvOp, b)) {
      const a = byReturn[folded++] as KvOp;
      if (highest === undefined || revOf(a) > revOf(highest)) highest = a;
    }
    if (highest === undefined) continue;
    const mutation = isMutation(b.output);
    const bad = mutation ? revOf(b) <= revOf(highest) : revOf(b) < revOf(highest);
    if (bad) {
      out.push({
        kind: 'revision-went-back',
        detail: `${show(b)} observed revision ${revOf(b)} after ${show(highest)} had returned revision ${revOf(highest)}`,
        operations: [highest, b],
      });
    }
  }
  return out;
}

function modRevisionAttribution(acked: ReadonlyArray<KvOp & { output: KvOutput }>): RevisionViolation[] {
  const writer = new Map<number, KvOp>();
  for (const op of acked) if (isMutation(op.output)) writer.set(op.output.revision as number, op);
  const out: RevisionViolation[] = [];
  for (const op of acked) {
    const o = op.output;
    const seen = o.op === 'get' ? [{ key: op.input.key, modRevision: o.modRevision }] : o.op === 'range' ? o.kvs : [];
    for (const { key, modRevision } of seen) {
      if (modRevision === undefined || modRevision === 0) continue;
      const w = writer.get(modRevision);
      if (w !== undefined && w.input.key !== key) {
        out.push({
          kind: 'foreign-mod-revision',
          detail: `${show(op)} reports modRevision ${modRevision} for ${key}, the revision of ${show(w)}`,
          operations: [w, op],
        });
      }
    }
  }
  return out;
}
