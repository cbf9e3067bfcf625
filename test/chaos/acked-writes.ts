/**
 * "No acknowledged write lost": every write the cluster acknowledged (a put, a successful CAS,
 * a delete that deleted something) must appear, with its key, value and revision, in the
 * committed history read back after healing (a watch from revision 1 of the whole prefix).
 */
import type { Operation } from '../checker/history.js';
import type { KvInput, KvOutput } from '../checker/kv-model.js';
import type { WatchStreamRecord } from '../checker/watch-history.js';

export function checkAcknowledgedWrites(ops: ReadonlyArray<Operation<KvInput, KvOutput>>, committed: WatchStreamRecord): string[] {
  const byRevision = new Map<number, Array<{ type: string; key: string; value?: string }>>();
  for (const r of committed.responses) for (const e of r.events) {
    const list = byRevision.get(e.revision) ?? [];
    list.push(e);
    byRevision.set(e.revision, list);
  }
  const problems: string[] = [];
  let acked = 0;
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
    const found = (byRevision.get(out.revision) ?? []).some((e) => e.type === expected.type && e.key === expected.key && (expected.value === undefined || e.value === expected.value));
    if (!found) {
      problems.push(`acknowledged write lost: op ${op.id} ${input.op} ${input.key}${expected.value !== undefined ? `=${expected.value}` : ''} acknowledged at revision ${out.revision}, but the committed history has ${JSON.stringify(byRevision.get(out.revision) ?? 'nothing')} there`);
      if (problems.length >= 20) break;
    }
  }
  if (acked > 0 && byRevision.size === 0) problems.push(`the committed history read back after healing is empty, but ${acked} writes were acknowledged`);
  return problems;
}
