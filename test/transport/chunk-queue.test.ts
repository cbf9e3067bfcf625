import { describe, expect, it } from 'vitest';
import { ChunkQueue, boundedChunks, collectSnapshotData } from '../../src/transport/chunk-queue.js';
import { isKvError } from '../../src/util/errors.js';
import { pieces } from './helpers.js';

describe('ChunkQueue (snapshot receive buffer)', () => {
  it('pauses the producer at the high-water mark and resumes it once the consumer drains half', async () => {
    const events: string[] = [];
    const q = new ChunkQueue({ highWater: 4, pause: () => events.push('pause'), resume: () => events.push('resume') });
    for (let i = 0; i < 4; i++) q.push(new Uint8Array([i]));
    expect(events).toEqual(['pause']);
    expect(q.buffered).toBe(4);
    const it = q[Symbol.asyncIterator]();
    await it.next();
    expect(events).toEqual(['pause']);
    await it.next();
    expect(events).toEqual(['pause', 'resume']);
    q.push(new Uint8Array([4]));
    q.end();
    const rest: number[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value[0]!);
    expect(rest).toEqual([2, 3, 4]);
  });

  it('hands a failure to a waiting consumer and drops what was buffered', async () => {
    const q = new ChunkQueue({ highWater: 8, pause: () => {}, resume: () => {} });
    q.push(new Uint8Array([1]));
    const it = q[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual(new Uint8Array([1]));
    const waiting = it.next();
    q.fail(new Error('connection lost'));
    await expect(waiting).rejects.toThrow('connection lost');
  });

  it('can be read only once', async () => {
    const q = new ChunkQueue({ highWater: 8, pause: () => {}, resume: () => {} });
    q.end();
    for await (const c of q) void c;
    await expect(q[Symbol.asyncIterator]().next()).rejects.toThrow(/only once/);
  });
});

describe('snapshot chunk helpers', () => {
  it('re-cuts a stream into bounded slices without losing bytes', async () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const out: Uint8Array[] = [];
    for await (const c of boundedChunks(pieces(data, [1, 333, 7, 600]), 64)) out.push(c);
    expect(Math.max(...out.map((c) => c.length))).toBeLessThanOrEqual(64);
    expect(await collectSnapshotData(new Uint8Array(), (async function* () { yield* out; })(), 4096)).toEqual(data);
  });

  it('collectSnapshotData puts the inline part first and refuses to grow past its limit', async () => {
    const got = await collectSnapshotData(new Uint8Array([9]), pieces(new Uint8Array([1, 2, 3]), [2]), 10);
    expect(Array.from(got)).toEqual([9, 1, 2, 3]);
    const err = await collectSnapshotData(new Uint8Array(5), pieces(new Uint8Array(10), [4]), 10).catch((e: unknown) => e);
    expect(isKvError(err, 'RequestTooLarge')).toBe(true);
  });
});
