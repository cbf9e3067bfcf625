/**
 * Issue 15: after a watch abuse the member's heap held ~150 MiB of garbage and RSS stayed ~200 MiB
 * above its baseline, because V8 runs no full collection on a quiet process. The release runs
 * one once client work is over and the heap has grown well past what is live; never while work
 * is in flight, and not again until the heap grows again.
 */
import { describe, expect, it } from 'vitest';
import { MemoryRelease } from '../../src/cli/memory-release.js';

const MiB = 2 ** 20;

function fixture() {
  const state = { heap: 100 * MiB, live: 100 * MiB, quiet: true, collections: 0 };
  const release = new MemoryRelease({
    heapUsed: () => state.heap,
    collect: () => {
      state.collections++;
      state.heap = state.live;
    },
    quiet: () => state.quiet,
  });
  return { state, release };
}

describe('memory release after client work', () => {
  it('collects once the member is quiet and the heap grew past the threshold over what is live', () => {
    const { state, release } = fixture();
    state.heap += 20 * MiB; // garbage below the threshold
    release.check();
    expect(state.collections).toBe(0);
    state.heap += 40 * MiB;
    state.quiet = false; // a catch-up or a range is in flight
    release.check();
    expect(state.collections).toBe(0);
    state.quiet = true;
    release.check();
    expect(state.collections).toBe(1);
    expect(state.heap).toBe(100 * MiB);
    release.check();
    expect(state.collections).toBe(1);
  });

  it('measures growth from what the last collection left, so live data that grew does not cause a collection each time', () => {
    const { state, release } = fixture();
    state.live = 200 * MiB; // the key index grew: all of it live
    state.heap = 200 * MiB;
    release.check();
    expect(state.collections).toBe(1);
    for (let i = 0; i < 5; i++) release.check();
    expect(state.collections).toBe(1);
  });
});
