/**
 * When the key index image is rewritten and how it is cut (issue 18, index-image-writer.ts): its
 * size is counted in revisions, so a store of keys with long histories is not rewritten every
 * tenth of its size, and a slice of such keys stays as short as one of one-revision keys.
 */
import { expect, it } from 'vitest';
import { MemoryBackend } from '../../src/storage/memory-backend.js';
import { loadIndexImage } from '../../src/store/index-image-load.js';
import { IndexImageWriter } from '../../src/store/index-image-writer.js';
import { TreeIndex } from '../../src/store/tree-index.js';
import type { BackendOp } from '../../src/storage/backend.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** `keys` keys of `revisions` revisions each, revisions numbered from 2 up, one key after another. */
function indexOf(keys: number, revisions: number): { index: TreeIndex; head: number } {
  const index = new TreeIndex();
  let main = 2;
  for (let i = 0; i < keys; i++) {
    const ki = index.add(`k${String(i).padStart(3, '0')}`);
    for (let r = 0; r < revisions; r++) ki.put({ main: main++, sub: 0 });
  }
  return { index, head: main - 1 };
}

class Counted extends MemoryBackend {
  writes = 0;
  override async write(ops: readonly BackendOp[]): Promise<void> {
    this.writes++;
    return super.write(ops);
  }
}

it('starts the next image after a quarter of the last image\'s revisions, not of its keys', async () => {
  const { index, head } = indexOf(10, 10); // 100 revisions in 10 keys
  const backend = new Counted();
  const source = { index: () => index, revision: () => head, compacted: () => 0, busy: () => false, epoch: () => 0 };
  const writer = new IndexImageWriter(backend, source, () => tick, undefined, { minRecords: 1, keysPerChunk: 100 });
  expect(await writer.write()).toBe(true);
  const afterFirst = backend.writes;
  // Due once the records written since are a quarter of the next image (100 + n): n >= 34.
  writer.noteRecords(33);
  await writer.idle();
  expect(backend.writes).toBe(afterFirst);
  writer.noteRecords(1);
  await writer.idle();
  expect(backend.writes).toBeGreaterThan(afterFirst);
});

it('cuts chunks by revisions as well as by keys, and the image loads whole', async () => {
  const { index, head } = indexOf(10, 3); // 30 revisions
  const backend = new Counted();
  const source = { index: () => index, revision: () => head, compacted: () => 0, busy: () => false, epoch: () => 0 };
  const writer = new IndexImageWriter(backend, source, () => tick, undefined, { keysPerChunk: 1_000, revisionsPerChunk: 5 });
  expect(await writer.write()).toBe(true);
  // A slice ends at the first key that reaches 5 revisions: 2 keys (6 revisions) a chunk.
  expect(backend.writes).toBe(5);
  const loaded = await loadIndexImage(backend, 0);
  expect(loaded?.index.size).toBe(10);
  expect(loaded?.index.keyIndex('k009')?.revisionCount()).toBe(3);
});
