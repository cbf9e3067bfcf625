/**
 * Reconnect delays: exponential with "equal jitter" (half fixed, half random), so members that
 * lost each other at the same moment do not redial in lockstep. Reset after a good handshake.
 */
import type { Rng } from '../util/rng.js';

export interface BackoffOptions {
  readonly minMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ minMs: 100, maxMs: 5_000 });

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly rng: Rng,
  ) {}

  /** The delay before the next attempt; grows until `maxMs`. */
  next(): number {
    const ceiling = Math.min(this.options.maxMs, this.options.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return ceiling / 2 + this.rng.next() * (ceiling / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}
