import { describe, expect, it } from 'vitest';
import { ReadIndexBatcher } from '../../src/server/read-index.js';
import { ManualClock } from '../../src/util/clock.js';
import { isKvError } from '../../src/util/errors.js';

function setup(overrides: Partial<{ maxWaiting: number }> = {}) {
  const clock = new ManualClock();
  const requests: Uint8Array[] = [];
  let applied = 0;
  const batcher = new ReadIndexBatcher({
    clock,
    requestReadIndex: (ctx) => requests.push(ctx),
    appliedIndex: () => applied,
    timeoutMs: 1000,
    retryMs: 100,
    maxWaiting: overrides.maxWaiting ?? 100,
  });
  return { clock, requests, batcher, setApplied: (n: number) => (applied = n) };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('ReadIndexBatcher', () => {
  it('shares one round among reads waiting at one moment and releases them after apply', async () => {
    const { requests, batcher, setApplied } = setup();
    const done: number[] = [];
    void batcher.wait().then(() => done.push(1));
    void batcher.wait().then(() => done.push(2));
    await flush();
    expect(requests).toHaveLength(1);
    batcher.onReadState({ index: 5, requestCtx: requests[0] as Uint8Array });
    await flush();
    expect(done).toEqual([]);
    setApplied(5);
    batcher.onApplied(5);
    await flush();
    expect(done).toEqual([1, 2]);
  });

  it('starts a new round for reads that arrive while one is in flight', async () => {
    const { requests, batcher, setApplied } = setup();
    setApplied(10);
    const first = batcher.wait();
    const second = batcher.wait();
    await flush();
    expect(requests).toHaveLength(1);
    const late = batcher.wait();
    await flush();
    expect(requests).toHaveLength(1);
    batcher.onReadState({ index: 3, requestCtx: requests[0] as Uint8Array });
    await Promise.all([first, second]);
    expect(requests).toHaveLength(2);
    expect(Array.from(requests[1] as Uint8Array)).not.toEqual(Array.from(requests[0] as Uint8Array));
    batcher.onReadState({ index: 4, requestCtx: requests[1] as Uint8Array });
    await late;
  });

  it('ignores a read state for another context and retries a lost request', async () => {
    const { clock, requests, batcher } = setup();
    void batcher.wait().catch(() => undefined);
    await flush();
    batcher.onReadState({ index: 1, requestCtx: new Uint8Array([9]) });
    expect(batcher.pending).toBe(1);
    clock.advance(250);
    expect(requests).toHaveLength(3);
    expect(Array.from(requests[2] as Uint8Array)).toEqual(Array.from(requests[0] as Uint8Array));
  });

  it('times a read out with etcd request timed out, and bounds the waiting list', async () => {
    const { clock, batcher } = setup({ maxWaiting: 1 });
    const p = batcher.wait();
    clock.advance(1000);
    await expect(p).rejects.toSatisfy((e: unknown) => isKvError(e, 'Timeout'));
    const q = batcher.wait().catch((e: unknown) => e);
    void batcher.wait().catch(() => undefined);
    const r = batcher.wait();
    await expect(r).rejects.toSatisfy((e: unknown) => isKvError(e, 'TooManyRequests'));
    batcher.stop();
    expect(isKvError(await q, 'Stopped')).toBe(true);
  });
});
