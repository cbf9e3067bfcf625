/**
 * Compaction paces its deletes on their landing (issue 18): a batch of deletes is not followed by
 * the next until the write path has landed it, so when the disk falls behind the job waits
 * instead of piling deletes into every Ready's synced batch.
 */
import { expect, it } from 'vitest';
import { BufferedBackend } from '../../src/storage/buffered-backend.js';
import { MemoryBackend } from '../../src/storage/memory-backend.js';
import { Compactor } from '../../src/store/compaction.js';
import { TreeIndex } from '../../src/store/tree-index.js';
import type { BackendOp, WriteOptions } from '../../src/storage/backend.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

it('writes no batch of deletes before the one before it has landed', async () => {
  // 10 keys of 4 revisions: a compaction at the head drops 30 revisions, 3 batches of 10.
  const index = new TreeIndex();
  let main = 2;
  for (let i = 0; i < 10; i++) {
    const ki = index.add(`k${i}`);
    for (let r = 0; r < 4; r++) ki.put({ main: main++, sub: 0 });
  }
  const head = main - 1;
  const deletes: number[] = [];
  class Watched extends BufferedBackend {
    override async write(ops: readonly BackendOp[], options?: WriteOptions): Promise<void> {
      if (options?.unread === true) deletes.push(ops.length);
      return super.write(ops, options);
    }
  }
  const inner = new MemoryBackend();
  const backend = new Watched(inner, 60_000);
  // The write path: lands what it is handed only when the test lets it (a slow disk).
  let release: (() => void) | undefined;
  backend.landThrough(async () => {
    const drained = backend.drain();
    if (drained === undefined) return;
    await new Promise<void>((r) => (release = r));
    await inner.write(drained.ops);
    drained.landed();
  });
  const compactor = new Compactor(backend, index, { batchSize: 10, yieldBetweenBatches: tick });
  const done = compactor.schedule(head);
  for (let batch = 1; batch <= 3; batch++) {
    for (let i = 0; i < 20; i++) await tick();
    expect(deletes).toEqual(Array.from({ length: batch }, () => 10));
    release?.();
  }
  // The last landing write records finishedCompactRev.
  for (let i = 0; i < 20 && release !== undefined; i++) {
    release();
    await tick();
  }
  await done;
  expect(deletes).toEqual([10, 10, 10]);
});
