import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/util/rng.js';
import { Backoff } from '../../src/transport/backoff.js';

describe('Backoff', () => {
  it('grows exponentially with jitter in [ceiling/2, ceiling], caps at maxMs, and resets', () => {
    const b = new Backoff({ minMs: 10, maxMs: 1000 }, new SeededRng(7));
    const ceilings = [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000];
    const delays = ceilings.map((c) => {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(c / 2);
      expect(d).toBeLessThanOrEqual(c);
      return d;
    });
    expect(new Set(delays.slice(-3)).size).toBe(3); // jittered, not lockstep
    b.reset();
    expect(b.next()).toBeLessThanOrEqual(10);
  });

  it('is replayable from the seed', () => {
    const run = () => {
      const b = new Backoff({ minMs: 5, maxMs: 500 }, new SeededRng(3));
      return Array.from({ length: 8 }, () => b.next());
    };
    expect(run()).toEqual(run());
  });
});
