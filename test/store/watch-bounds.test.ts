/**
 * Issue 15 item 1 at small scale: catch-up watchers on one key with large values. Responses are
 * cut by bytes, a stream buffers a bounded number of bytes, history is read only as consumers
 * drain, the member-wide catch-up budget caps what is read and not yet taken, and a consumer
 * that stops reading is canceled with etcd's reason, returning all of it.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/util/bytes.js';
import { ManualClock } from '../../src/util/clock.js';
import { MemoryWatchSource } from '../../src/store/watch-memory-source.js';
import { WatchHub } from '../../src/store/watch-hub.js';
import { eventBytes } from '../../src/store/watch-fragment.js';
import type { WatchStream } from '../../src/store/watch-stream.js';
import type { WatchHubOptions, WatchResponse } from '../../src/store/watch-types.js';

const VALUE_BYTES = 10_000;
const REVISIONS = 40; // revisions 2..41 of one 10 KB key: ~400 KB of history

function setup(options: Partial<WatchHubOptions>) {
  const source = new MemoryWatchSource();
  const clock = new ManualClock();
  const hub = new WatchHub(source, clock, options);
  source.subscribe(hub.listener);
  for (let i = 0; i < REVISIONS; i++) source.apply([{ type: 'put', key: utf8('big'), value: new Uint8Array(VALUE_BYTES).fill(i) }]);
  return { source, clock, hub };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** Lets sync rounds run: fires due timers and settles the promises they start. */
async function pump(clock: ManualClock, ms = 0, rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    clock.advance(ms);
    await flush();
  }
}

const bytesOf = (r: WatchResponse) => r.events.reduce((n, e) => n + eventBytes(e), 0);
const revisionsOf = (rs: WatchResponse[]) => rs.flatMap((r) => r.events.map((e) => e.kv.modRevision));

function catchUpWatch(hub: WatchHub): WatchStream {
  const stream = hub.newStream();
  stream.watch({ key: utf8('big'), startRevision: 1 });
  return stream;
}

/** Reads until `count` revisions arrived, pumping the hub between reads. */
async function readAll(stream: WatchStream, clock: ManualClock, count: number): Promise<WatchResponse[]> {
  const got: WatchResponse[] = [];
  for (let i = 0; i < 1000 && revisionsOf(got).length < count; i++) {
    got.push(...(await stream.drainBuffered()));
    await pump(clock, 0, 2);
  }
  return got;
}

describe('watch catch-up memory bounds (issue 15 item 1)', () => {
  it('cuts catch-up responses by bytes at revision boundaries and delivers every revision once, in order', async () => {
    const { clock, hub } = setup({ batchMaxBytes: 25_000 });
    const stream = catchUpWatch(hub);
    const got = (await readAll(stream, clock, REVISIONS)).filter((r) => r.events.length > 0);
    expect(revisionsOf(got)).toEqual(Array.from({ length: REVISIONS }, (_, i) => i + 2));
    // 25 KB is reached after three 10 KB revisions: no response holds more.
    for (const r of got) expect(r.events.length).toBeLessThanOrEqual(3);
    expect(got.length).toBeGreaterThanOrEqual(Math.ceil(REVISIONS / 3));
  });

  it('reads history only as fast as the consumer takes it, holding at most the stream buffer', async () => {
    const { source, clock, hub } = setup({ batchMaxBytes: 20_000, streamBufferBytes: 50_000, syncReadMaxBytes: 30_000 });
    const stream = catchUpWatch(hub);
    await pump(clock, 100, 30);
    // Nobody read: the buffer filled to its byte bound (plus at most one response), then reading stopped.
    const readsWhileStalled = source.reads;
    await pump(clock, 100, 30);
    expect(source.reads).toBe(readsWhileStalled);
    // No read was made for a stream without room (it would have left a victim holding it).
    expect(hub.stats().victims).toBe(0);
    const held = await stream.drainBuffered();
    const heldBytes = held.reduce((n, r) => n + bytesOf(r), 0);
    expect(heldBytes).toBeLessThanOrEqual(50_000 + 20_000 + VALUE_BYTES);
    expect(revisionsOf(held).length).toBeLessThan(REVISIONS);
    // Taking them made room: the catch-up resumes and completes.
    const rest = await readAll(stream, clock, REVISIONS - revisionsOf(held).length);
    expect([...revisionsOf(held), ...revisionsOf(rest)]).toEqual(Array.from({ length: REVISIONS }, (_, i) => i + 2));
    expect(hub.stats()).toMatchObject({ synced: 1, unsynced: 0, victims: 0, catchUpBytes: 0 });
  });

  it('caps catch-up bytes member-wide; stalled consumers are canceled with etcd\'s reason and a reader then completes', async () => {
    const budget = 60_000;
    const { clock, hub } = setup({ batchMaxBytes: 20_000, streamBufferBytes: 40_000, syncReadMaxBytes: 30_000, catchUpMaxBytes: budget, slowConsumerCancelMs: 5_000 });
    // Ten consumers that never read arrive first and take the whole budget.
    const stalled = Array.from({ length: 10 }, () => catchUpWatch(hub));
    let peak = 0;
    for (let i = 0; i < 30; i++) {
      await pump(clock, 100, 1);
      peak = Math.max(peak, hub.stats().catchUpBytes);
    }
    expect(peak).toBeGreaterThan(0);
    // At most one revision over the budget (a read ends at a revision boundary).
    expect(peak).toBeLessThanOrEqual(budget + VALUE_BYTES + 100);
    const reader = catchUpWatch(hub);
    await reader.drainBuffered(); // its created reply
    await pump(clock, 100, 10);
    expect(reader.buffered).toBe(0); // starved: the stalled streams hold the budget
    // After the stall bound, each stalled watcher is canceled and its buffer dropped; the reader
    // keeps reading meanwhile.
    const got: WatchResponse[] = [];
    for (let i = 0; i < 40 && stalled.some((s) => s.watcherIds().length > 0); i++) {
      await pump(clock, 250, 1);
      got.push(...(await reader.drainBuffered()));
    }
    for (const s of stalled) {
      const left = await s.drainBuffered();
      expect(left.filter((r) => r.events.length > 0)).toEqual([]);
      expect(left.at(-1)).toMatchObject({ watchId: 0, canceled: true, cancelReason: 'etcdserver: watch canceled' });
      expect(s.watcherIds()).toEqual([]);
    }
    got.push(...(await readAll(reader, clock, REVISIONS - revisionsOf(got).length)));
    expect(got.some((r) => r.canceled)).toBe(false);
    expect(revisionsOf(got)).toEqual(Array.from({ length: REVISIONS }, (_, i) => i + 2));
    for (const s of stalled) s.close();
    reader.close();
    expect(hub.stats()).toEqual({ streams: 0, synced: 0, unsynced: 0, victims: 0, catchUpBytes: 0 });
    expect(clock.pendingTimers()).toBe(0);
  });

  it('bounds a synced watcher\'s buffer in bytes too: past it the watcher catches up from history later', async () => {
    const { source, clock, hub } = setup({ streamBufferBytes: 50_000 });
    const stream = hub.newStream();
    stream.watch({ key: utf8('big') }); // from now: synced
    await stream.drainBuffered();
    const from = source.currentRevision() + 1;
    for (let i = 0; i < 20; i++) source.apply([{ type: 'put', key: utf8('big'), value: new Uint8Array(VALUE_BYTES) }]);
    // 20 live revisions of 10 KB against a 50 KB buffer: five queued, the sixth held by the victim.
    expect(stream.buffered).toBeLessThanOrEqual(5);
    expect(hub.stats().victims).toBe(1);
    const got = await readAll(stream, clock, 20);
    expect(revisionsOf(got)).toEqual(Array.from({ length: 20 }, (_, i) => from + i));
  });

  it('does not cancel a consumer that keeps taking responses, however slowly', async () => {
    const { clock, hub } = setup({ batchMaxBytes: 20_000, streamBufferBytes: 20_000, slowConsumerCancelMs: 5_000 });
    const stream = catchUpWatch(hub);
    const got: WatchResponse[] = [];
    for (let i = 0; i < 200 && revisionsOf(got).length < REVISIONS; i++) {
      await pump(clock, 1_000, 3); // 3 s between reads: slow, but under the 5 s bound
      const next = await stream.next();
      if (next !== undefined) got.push(next);
    }
    expect(got.some((r) => r.canceled)).toBe(false);
    expect(revisionsOf(got)).toEqual(Array.from({ length: REVISIONS }, (_, i) => i + 2));
  });
});
