/**
 * One call for the simulator and the chaos harness: linearizability of a KV history per key
 * plus the cross-key revision checks, with a printable account of what went wrong.
 */
import type { Operation } from './history.js';
import { checkLinearizability, describeReport, type Budget, type LinearizabilityReport } from './linearizability.js';
import { kvModel, type KvInput, type KvOutput } from './kv-model.js';
import { patchKvHistory } from './patch-history.js';
import { expandRangeReads } from './range-reads.js';
import { checkRevisions, type RevisionViolation } from './revision-checks.js';

export interface KvCheckReport {
  /** 'illegal' if any check failed; 'unknown' if a partition ran out of budget; else 'ok'. */
  readonly result: 'ok' | 'illegal' | 'unknown';
  readonly linearizability: LinearizabilityReport<KvInput, KvOutput>;
  readonly revisions: readonly RevisionViolation[];
  /** Multi-line explanation of every failure; empty-ish when ok. */
  readonly text: string;
  /** The history as checked (ranges expanded, unknown writes patched); ids are the recorded ones. */
  readonly checked: ReadonlyArray<Operation<KvInput, KvOutput>>;
}

export interface KvCheckOptions extends Budget {
  /** Resolve unknown writes whose value some read saw (patch-history.ts); default true. */
  readonly patch?: boolean;
}

export function checkKvHistory(recorded: ReadonlyArray<Operation<KvInput, KvOutput>>, options: KvCheckOptions = {}): KvCheckReport {
  const { patch = true, ...budget } = options;
  const expanded = expandRangeReads(recorded);
  const history = patch ? patchKvHistory(expanded) : expanded;
  const linearizability = checkLinearizability(kvModel, history, budget);
  const revisions = checkRevisions(history);
  const result = linearizability.result === 'illegal' || revisions.length > 0 ? 'illegal' : linearizability.result;
  const lines = [describeReport(kvModel, linearizability)];
  if (revisions.length > 0) lines.push(`revision checks: ${revisions.length} violations`);
  for (const v of revisions.slice(0, 20)) lines.push(`  ${v.kind}: ${v.detail}`);
  return { result, linearizability, revisions, text: lines.join('\n'), checked: history };
}
