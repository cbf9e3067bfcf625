/**
 * Hands memory back once a burst of client work is over (issue 15: RSS stayed ~200 MiB above
 * its baseline 15 s after 520 catch-up watch streams closed). Nothing was retained: a forced full
 * collection took the heap back to its baseline (bench/RESULTS.md). But V8 collects its old
 * generation only when allocation pushes it to, and a quiet member allocates almost nothing, so
 * the garbage of the burst — and the resident memory under it — stayed. etcd's Go runtime
 * returns idle memory through its scavenger; here, when the member is quiet (no catch-up read
 * waiting for a consumer, no range response held) and its heap has grown well past what is live,
 * one full collection runs. Checked every few seconds; never while client work is in flight.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '../server/logger.js';

const CHECK_EVERY_MS = 5_000;
/** Growth of the used heap past the live size that is worth a full collection (~30-80 ms). */
export const RELEASE_GROWTH_BYTES = 32 * 1024 * 1024;

export interface MemoryReleaseDeps {
  heapUsed(): number;
  /** A full collection. */
  collect(): void;
  /** No client work in flight that a collection would only slow down. */
  quiet(): boolean;
}

export class MemoryRelease {
  /** The least heap seen in use since the last collection here: close to what is live. */
  private live: number;

  constructor(private readonly deps: MemoryReleaseDeps) {
    this.live = deps.heapUsed();
  }

  /** Collects if it is worth it; returns the bytes freed, or undefined if it did not run. */
  check(): number | undefined {
    const now = this.deps.heapUsed();
    this.live = Math.min(this.live, now);
    if (now - this.live < RELEASE_GROWTH_BYTES || !this.deps.quiet()) return undefined;
    this.deps.collect();
    this.live = this.deps.heapUsed();
    return now - this.live;
  }
}

/** `gc()` without `node --expose-gc` (the flag may be set while running; V8 reads it when a context is made). */
function exposedGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing !== undefined) return existing;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

export function startMemoryRelease(quiet: () => boolean, log: Logger): { stop(): void } {
  const gc = exposedGc();
  if (gc === undefined) return { stop: () => undefined };
  const release = new MemoryRelease({ heapUsed: () => getHeapStatistics().used_heap_size, collect: gc, quiet });
  const timer = setInterval(() => {
    const started = performance.now();
    const freed = release.check();
    if (freed !== undefined) log.info({ freedMiB: Math.round(freed / 2 ** 20), ms: Math.round(performance.now() - started) }, 'collected the garbage of finished client work');
  }, CHECK_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
