/**
 * History checkers for the simulator and the chaos harness.
 *
 *   const rec = new HistoryRecorder<KvInput, KvOutput>(clock);
 *   const id = rec.invoke(client, { op: 'put', key, value });   // before sending
 *   rec.ok(id, { op: 'put', revision });                           // after the answer
 *   rec.fail(id, err, { outcome: 'unknown' });                     // timeout / lost connection
 *   const report = checkKvHistory(rec.operations(), { committed });  // committed: store's events
 *   if (report.result !== 'ok') throw new Error(`${report.text}\n${historyToJSON(rec.operations())}`);
 *
 *   const watches = new WatchRecorder(); … validateWatches(watches.streams(), { history })
 */
export { HistoryRecorder, historyFromJSON, historyToJSON, precedes, type Operation, type OperationStatus, type TimeSource } from './history.js';
export {
  checkLinearizability,
  describeReport,
  type Budget,
  type CheckResult,
  type IllegalExplanation,
  type LinearizabilityReport,
  type Model,
  type PartitionResult,
} from './linearizability.js';
export { kvModel, describeKvOperation, type CasExpectation, type KeyState, type KvInput, type KvOutput, type RangeEntry } from './kv-model.js';
export { expandRangeReads, keysOf } from './range-reads.js';
export { checkRevisions, isMutation, type RevisionViolation } from './revision-checks.js';
export { patchKvHistory } from './patch-history.js';
export { resolveWithCommitted } from './resolve-committed.js';
export { checkKvHistory, type KvCheckOptions, type KvCheckReport } from './check-kv.js';
export { checkReadsAgainstHistory, type ReadViolation } from './reads-vs-history.js';
export { compareKeys, keyInRange } from './keys.js';
export {
  matchesRequest,
  mergeWatchHistory,
  watchEventFromStore,
  watchHistoryFromCommits,
  type WatchEventRecord,
  type WatchRequestRecord,
  type WatchResponseRecord,
  type WatchStreamRecord,
} from './watch-history.js';
export { validateWatches, type WatchGuarantee, type WatchReport, type WatchViolation } from './watch-guarantees.js';
export { WatchRecorder } from './watch-recorder.js';
export { generateKvHistory, generateKvRun, randomKvInput, SequentialKvStore, type GenerateOptions } from './generate.js';
