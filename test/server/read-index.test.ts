import { describe, expect, it } from 'vitest';
import { ReadIndexBatcher } from '../../src/server/read-index.js';
import { ManualClock } from '../../src/util/clock.js';
import { isKvError } from '../../src/util/errors.js';
import { SeededRng } from '../../src/util/rng.js';
import { Network } from '../raft/network.js';

function setup(overrides: Partial<{ maxWaiting: number }> = {}) {
  const clock = new ManualClock();
  const requests: Uint8Array[] = [];
  let applied = 0;
  const batcher = new ReadIndexBatcher({
    clock,
    memberId: 1,
    rng: new SeededRng(1),
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

  it('two members\' concurrent rounds are both answered at once, with no retry', async () => {
    // Both members' first rounds used to carry the same context (round 1): the leader, which
    // keys pending reads by context, dropped the second until its 500 ms retry.
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.propose(1, 'w');
    const clock = new ManualClock();
    const batchers = [2, 3].map((id) => new ReadIndexBatcher({
      clock,
      memberId: id,
      rng: new SeededRng(42), // the same seed on purpose: the member ID alone keeps them apart
      requestReadIndex: (ctx) => net.node(id).rn.readIndex(ctx),
      appliedIndex: () => net.node(id).raft.log.applied,
      timeoutMs: 1000,
      retryMs: 500,
      maxWaiting: 10,
    }));
    const done: number[] = [];
    void batchers[0]?.wait().then(() => done.push(2));
    void batchers[1]?.wait().then(() => done.push(3));
    await flush();
    // Deliver both forwarded requests before either round's heartbeats come back.
    net.send();
    for (const [i, id] of [2, 3].entries()) {
      for (const rs of net.node(id).readStates) batchers[i]?.onReadState(rs);
    }
    await flush();
    expect(done.sort()).toEqual([2, 3]);
    for (const b of batchers) b.stop();
  });

  it('never takes the answer to a previous process\'s round for this process\'s', async () => {
    // A member restarts while its old round is in flight; the late answer carries the index the
    // leader confirmed before the restart, possibly older than a write acknowledged since.
    const make = (seed: number, requests: Uint8Array[]) => new ReadIndexBatcher({
      clock: new ManualClock(),
      memberId: 7,
      rng: new SeededRng(seed),
      requestReadIndex: (ctx) => requests.push(ctx),
      appliedIndex: () => 100,
      timeoutMs: 1000,
      retryMs: 100,
      maxWaiting: 10,
    });
    const oldRequests: Uint8Array[] = [];
    const old = make(1, oldRequests);
    void old.wait().catch(() => undefined);
    await flush();
    old.stop();
    const newRequests: Uint8Array[] = [];
    const fresh = make(2, newRequests);
    let served = false;
    void fresh.wait().then(() => (served = true), () => undefined);
    await flush();
    expect(newRequests).toHaveLength(1);
    fresh.onReadState({ index: 5, requestCtx: oldRequests[0] as Uint8Array });
    await flush();
    expect(served).toBe(false);
    expect(fresh.pending).toBe(1);
    fresh.onReadState({ index: 9, requestCtx: newRequests[0] as Uint8Array });
    await flush();
    expect(served).toBe(true);
    fresh.stop();
  });
});
