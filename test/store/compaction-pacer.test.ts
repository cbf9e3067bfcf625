/** The rests between compaction's delete batches (issue 18): etcd's 10 ms, stretched to the batch's own time. */
import { expect, it } from 'vitest';
import { compactionPacer, MIN_REST_MS } from '../../src/store/compaction-pacer.js';
import { ManualClock } from '../../src/util/clock.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

it('rests at least 10 ms, and as long as the batch before took when that was longer', async () => {
  const clock = new ManualClock();
  const pause = compactionPacer(clock)();
  let rested = false;
  // A quick batch: the rest is the minimum.
  clock.advance(2);
  void pause().then(() => void (rested = true));
  clock.advance(MIN_REST_MS - 1);
  await flush();
  expect(rested).toBe(false);
  clock.advance(1);
  await flush();
  expect(rested).toBe(true);
  // A batch of 40 ms (a loaded machine): the rest is as long.
  rested = false;
  clock.advance(40);
  void pause().then(() => void (rested = true));
  clock.advance(39);
  await flush();
  expect(rested).toBe(false);
  clock.advance(1);
  await flush();
  expect(rested).toBe(true);
});
