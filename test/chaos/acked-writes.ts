/**
 * "No acknowledged write lost": every write the cluster acknowledged (a put, a successful CAS,
 * a delete that deleted something) must appear, with its key, value and revision, in the
 * committed history read back after healing (a watch from revision 1 of the whole prefix).
 *
 * That history only proves anything up to the revision it reached. A read-back that stopped
 * short of the cluster's final revision (chaos finding F4: it stopped at 9002 of 28698) is
 * reported as "history incomplete", its own failure, and the writes above the revision it
 * reached are not checked: calling them lost would blame the cluster for the reader.
 */
import type { Operation } from '../checker/history.js';
import type { KvInput, KvOutput } from '../checker/kv-model.js';
import type { WatchStreamRecord } from '../checker/watch-history.js';

/** The highest revision the stream vouches for: an event's, or a response header's. */
export function revisionReached(committed: WatchStreamRecord): number {
  let reached = 0;
  for (const r of committed.responses) {
    if (r.canceled === true) continue;
    reached = Math.max(reached, r.headerRevision);
    for (const e of r.events) reached = Math.max(reached, e.revision);
  }
  return reached;
}

/** `finalRevision`: the revision every member agreed on after healing (the read-back's target). */
export function checkAcknowledgedWrites(ops: ReadonlyArray<Operation<KvInput, KvOutput>>, committed: WatchStreamRecord, finalRevision: number): string[] {
  const byRevision = new Map<number, Array<{ type: string; key: string; value?: string }>>();
  for (const r of committed.responses) for (const e of r.events) {
    const list = byRevision.get(e.revision) ?? [];
    list.push(e);
    byRevision.set(e.revision, list);
  }
  const reached = revisionReached(committed);
  const problems: string[] = [];
  let acked = 0;
  let unchecked = 0;
  for (const op of ops) {
    if (op.status !== 'ok' || op.output === undefined) continue;
    const out = op.output;
    const input = op.input;
    let expected: { type: string; key: string; value?: string } | undefined;
    if (input.op === 'put' && out.op === 'put') expected = { type: 'PUT', key: input.key, value: input.value };
    else if (input.op === 'cas' && out.op === 'cas' && out.succeeded) expected = { type: 'PUT', key: input.key, value: input.value };
    else if (input.op === 'delete' && out.op === 'delete' && out.deleted > 0) expected = { type: 'DELETE', key: input.key };
    if (expected === undefined || out.revision === undefined) continue;
    acked++;
    if (out.revision > reached) {
      unchecked++;
      continue;
    }
    const found = (byRevision.get(out.revision) ?? []).some((e) => e.type === expected.type && e.key === expected.key && (expected.value === undefined || e.value === expected.value));
    if (!found && problems.length < 20) {
      problems.push(`acknowledged write lost: op ${op.id} ${input.op} ${input.key}${expected.value !== undefined ? `=${expected.value}` : ''} acknowledged at revision ${out.revision}, but the committed history has ${JSON.stringify(byRevision.get(out.revision) ?? 'nothing')} there`);
    }
  }
  if (reached < finalRevision) {
    problems.unshift(
      `history incomplete: the committed history read back after healing reached revision ${reached} of ${finalRevision}; ` +
        `${unchecked} acknowledged writes above it were not checked (not lost: not read)`,
    );
  } else if (acked > 0 && byRevision.size === 0) {
    problems.push(`the committed history read back after healing is empty, but ${acked} writes were acknowledged`);
  }
  return problems;
}
