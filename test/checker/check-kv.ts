/**
 * One call for the simulator and the chaos harness: linearizability of a KV history per key
 * plus the cross-key revision checks, with a printable account of what went wrong.
 */
import type { Operation } from './history.js';
import { checkLinearizability, describeReport, type Budget, type LinearizabilityReport } from './linearizability.js';
import { kvModel, type KvInput, type KvOutput } from './kv-model.js';
import { patchKvHistory } from './patch-history.js';
import { expandRangeReads } from './range-reads.js';
import { checkReadsAgainstHistory, type ReadViolation } from './reads-vs-history.js';
import { resolveWithCommitted } from './resolve-committed.js';
import type { WatchEventRecord } from './watch-history.js';
import { checkRevisions, type RevisionViolation } from './revision-checks.js';

export interface KvCheckReport {
  /** 'illegal' if any check failed; 'unknown' if a partition ran out of budget; else 'ok'. */
  readonly result: 'ok' | 'illegal' | 'unknown';
  readonly linearizability: LinearizabilityReport<KvInput, KvOutput>;
  readonly revisions: readonly RevisionViolation[];
  /** Reads that disagree with the committed history (only when `committed` was given). */
  readonly reads: readonly ReadViolation[];
  /** Multi-line explanation of every failure; empty-ish when ok. */
  readonly text: string;
  /** The history as checked (ranges expanded, unknown writes patched); ids are the recorded ones. */
  readonly checked: ReadonlyArray<Operation<KvInput, KvOutput>>;
}

export interface KvCheckOptions extends Budget {
  /** Resolve unknown writes whose value some read saw (patch-history.ts); default true. */
  readonly patch?: boolean;
  /**
   * The committed history, when the caller has it (simulator: CommitListener; chaos: a watch
   * from revision 1). Settles unknown writes (resolve-committed.ts) and checks every read
   * against it (reads-vs-history.ts). Strongly recommended: see resolve-committed.ts.
   */
  readonly committed?: readonly WatchEventRecord[];
}

export function checkKvHistory(recorded: ReadonlyArray<Operation<KvInput, KvOutput>>, options: KvCheckOptions = {}): KvCheckReport {
  const { patch = true, committed, ...budget } = options;
  const expanded = expandRangeReads(recorded, committed?.map((e) => e.key));
  const settled = committed === undefined ? expanded : resolveWithCommitted(expanded, committed);
  const history = patch ? patchKvHistory(settled) : settled;
  const linearizability = checkLinearizability(kvModel, history, budget);
  const revisions = checkRevisions(history);
  const reads = committed === undefined ? [] : checkReadsAgainstHistory(history, committed);
  const failed = linearizability.result === 'illegal' || revisions.length > 0 || reads.length > 0;
  const result = failed ? 'illegal' : linearizability.result;
  const lines = [describeReport(kvModel, linearizability)];
  if (revisions.length > 0) lines.push(`revision checks: ${revisions.length} violations`);
  for (const v of revisions.slice(0, 20)) lines.push(`  ${v.kind}: ${v.detail}`);
  if (reads.length > 0) lines.push(`reads against the committed history: ${reads.length} violations`);
  for (const v of reads.slice(0, 20)) lines.push(`  ${v.detail}`);
  return { result, linearizability, revisions, reads, text: lines.join('\n'), checked: history };
}
