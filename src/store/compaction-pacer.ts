/**
 * How a member's compaction rests between batches of backend deletes. etcd sleeps 10 ms after
 * each batch of 1,000 so that requests get the backend between them; cairn's batches share one
 * thread with every request, so the rest also stretches to the batch's own time: compaction then
 * takes at most about half of the process, however loaded the machine. Measured (issue 18,
 * bench/compaction.ts): deleting 1M records with only a setImmediate between batches kept puts
 * and ranges waiting 1-1.5 s; see bench/RESULTS.md for what the rests bought.
 */
import type { Clock } from '../util/clock.js';

/** etcd's pause between compaction batches (mvcc/kvstore_compaction.go). */
export const MIN_REST_MS = 10;

/** A factory of one job's pause: each call rests max(MIN_REST_MS, time since the last rest ended). */
export function compactionPacer(clock: Clock, minRestMs = MIN_REST_MS): () => () => Promise<void> {
  return () => {
    let resumed = clock.now();
    return async () => {
      const took = clock.now() - resumed;
      await new Promise<void>((resolve) => clock.setTimeout(resolve, Math.max(minRestMs, took)));
      resumed = clock.now();
    };
  };
}
