import { describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';
import { ManualClock } from '../../src/util/clock.js';
import { isKvError } from '../../src/util/errors.js';
import { MemoryWatchSource, type ModelOp } from '../../src/store/watch-memory-source.js';
import { WatchHub } from '../../src/store/watch-hub.js';
import type { WatchHubOptions, WatchResponse } from '../../src/store/watch-types.js';

/** `subscribe: false` leaves notifying to the test (to skip revisions, as a restore does). */
function setup(options: Partial<WatchHubOptions> = {}, subscribe = true) {
  const source = new MemoryWatchSource();
  const clock = new ManualClock();
  const hub = new WatchHub(source, clock, options);
  if (subscribe) source.subscribe(hub.listener);
  return { source, clock, hub };
}

const put = (key: string, value = 'v'): ModelOp => ({ type: 'put', key: utf8(key), value: utf8(value) });
const del = (key: string): ModelOp => ({ type: 'delete', key: utf8(key) });

/** A compact view of a response: [watchId, headerRevision, "TYPE key@rev" ...] plus flags. */
function view(r: WatchResponse) {
  return {
    id: r.watchId,
    rev: r.headerRevision,
    events: r.events.map((e) => `${e.type} ${fromUtf8(e.kv.key)}@${e.kv.modRevision}`),
    ...(r.created ? { created: true } : {}),
    ...(r.canceled ? { canceled: true } : {}),
    ...(r.cancelReason !== undefined ? { reason: r.cancelReason } : {}),
    ...(r.compactRevision !== undefined ? { compact: r.compactRevision } : {}),
    ...(r.fragment ? { fragment: true } : {}),
  };
}

async function settle(hub: WatchHub): Promise<void> {
  for (let i = 0; i < 100 && (hub.stats().unsynced > 0 || hub.stats().victims > 0); i++) await hub.syncNow();
}

describe('WatchHub: creating and delivering', () => {
  it('sends created with the current revision, then each later revision as one response', async () => {
    const { source, hub } = setup();
    source.apply([put('a')]); // rev 2
    const stream = hub.newStream();
    expect(stream.watch({ key: utf8('a') })).toBe(0);
    source.apply([put('a'), put('b')]); // rev 3
    source.apply([put('b')]); // rev 4: not watched
    source.apply([del('a')]); // rev 5
    const got = (await stream.drainBuffered()).map(view);
    expect(got).toEqual([
      { id: 0, rev: 2, events: [], created: true },
      { id: 0, rev: 3, events: ['PUT a@3'] },
      { id: 0, rev: 5, events: ['DELETE a@5'] },
    ]);
    expect(hub.stats()).toMatchObject({ synced: 1, unsynced: 0, victims: 0 });
  });

  it('keeps the events of one txn together, in txn order, for a range watcher', async () => {
    const { source, hub } = setup();
    const stream = hub.newStream();
    stream.watch({ key: utf8('k/'), rangeEnd: utf8('k0') });
    source.apply([put('k/b'), put('x'), put('k/a'), del('k/b')]);
    const got = (await stream.drainBuffered()).map(view);
    expect(got[1]).toEqual({ id: 0, rev: 2, events: ['PUT k/b@2', 'PUT k/a@2', 'DELETE k/b@2'] });
  });

  it('treats range_end "\\0" as every key from key, and an empty key as "\\0"', async () => {
    const { source, hub } = setup();
    const stream = hub.newStream();
    stream.watch({ key: utf8('m'), rangeEnd: new Uint8Array([0]) });
    stream.watch({ key: new Uint8Array(), rangeEnd: new Uint8Array([0]) });
    source.apply([put('a'), put('m'), put('zz')]);
    const got = (await stream.drainBuffered()).map(view).filter((r) => !r.created);
    got.sort((x, y) => x.id - y.id); // no order is promised between different watchers
    expect(got).toEqual([
      { id: 0, rev: 2, events: ['PUT m@2', 'PUT zz@2'] },
      { id: 1, rev: 2, events: ['PUT a@2', 'PUT m@2', 'PUT zz@2'] },
    ]);
  });

  it('replays history from a start revision, then continues live without gaps or repeats', async () => {
    const { source, hub } = setup();
    for (let i = 0; i < 5; i++) source.apply([put('a', `v${i}`)]); // revs 2..6
    const stream = hub.newStream();
    stream.watch({ key: utf8('a'), startRevision: 3 });
    expect(hub.stats().unsynced).toBe(1);
    source.apply([put('a')]); // rev 7 arrives while unsynced: must come from history
    await settle(hub);
    expect(hub.stats()).toMatchObject({ synced: 1, unsynced: 0 });
    source.apply([put('a')]); // rev 8, live
    const revs = (await stream.drainBuffered()).flatMap((r) => r.events.map((e) => e.kv.modRevision));
    expect(revs).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('waits for a future start revision and skips the revisions before it', async () => {
    const { source, hub } = setup();
    const stream = hub.newStream();
    stream.watch({ key: utf8('a'), startRevision: 4 });
    for (let i = 0; i < 4; i++) source.apply([put('a')]); // revs 2..5
    const revs = (await stream.drainBuffered()).flatMap((r) => r.events.map((e) => e.kv.modRevision));
    expect(revs).toEqual([4, 5]);
  });

  it('applies the NOPUT and NODELETE filters on the server side', async () => {
    const { source, hub } = setup();
    const stream = hub.newStream();
    stream.watch({ key: utf8('a'), noPut: true });
    stream.watch({ key: utf8('a'), noDelete: true });
    source.apply([put('a')]);
    source.apply([del('a')]);
    const got = (await stream.drainBuffered()).map(view).filter((r) => !r.created);
    expect(got).toEqual([
      { id: 1, rev: 2, events: ['PUT a@2'] },
      { id: 0, rev: 3, events: ['DELETE a@3'] },
    ]);
  });

  it('attaches prev_kv as of mod_revision - 1, never to creates, and strips it when not asked', async () => {
    const { source, hub } = setup();
    const stream = hub.newStream();
    stream.watch({ key: utf8('a'), prevKv: true });
    stream.watch({ key: utf8('a') });
    source.apply([put('a', 'one')]);
    source.apply([put('a', 'two')]);
    source.apply([del('a')]);
    const got = await stream.drainBuffered();
    const withPrev = got.filter((r) => r.watchId === 0 && !r.created).map((r) => r.events.map((e) => e.prevKv && fromUtf8(e.prevKv.value)));
    expect(withPrev).toEqual([[undefined], ['one'], ['two']]);
    const without = got.filter((r) => r.watchId === 1).flatMap((r) => r.events.map((e) => e.prevKv));
    expect(without.every((p) => p === undefined)).toBe(true);
  });
});

describe('WatchHub: IDs, cancel and bad requests', () => {
  it('assigns IDs from 0 skipping used ones, and rejects duplicates and empty ranges as etcd does', async () => {
    const { hub } = setup();
    const stream = hub.newStream();
    expect(stream.watch({ key: utf8('a'), watchId: 1 })).toBe(1);
    expect(stream.watch({ key: utf8('a') })).toBe(0);
    expect(stream.watch({ key: utf8('a') })).toBe(2);
    expect(stream.watch({ key: utf8('b'), watchId: 2 })).toBe(-1);
    expect(stream.watch({ key: utf8('b'), rangeEnd: utf8('a') })).toBe(-1);
    expect(stream.watch({ key: utf8('b'), rangeEnd: utf8('b') })).toBe(-1);
    expect(stream.watch({ key: utf8('b'), watchId: -3 })).toBe(-1);
    const got = (await stream.drainBuffered()).map(view);
    expect(got.slice(3)).toEqual([
      { id: -1, rev: 1, events: [], created: true, canceled: true, reason: 'mvcc: duplicate watch ID provided on the WatchStream' },
      { id: -1, rev: 1, events: [], created: true, canceled: true, reason: 'mvcc: watcher range is empty' },
      { id: -1, rev: 1, events: [], created: true, canceled: true, reason: 'mvcc: watcher range is empty' },
      { id: -1, rev: 1, events: [], created: true, canceled: true, reason: 'cairn: watch ID must be a non-negative safe integer' },
    ]);
  });

  it('cancels a known ID with a reply and no further events; an unknown ID gets no reply', async () => {
    const { source, hub } = setup();
    const stream = hub.newStream();
    stream.watch({ key: utf8('a') });
    await stream.drainBuffered();
    expect(stream.cancel(0)).toBe(true);
    expect(stream.cancel(99)).toBe(false);
    source.apply([put('a')]);
    expect((await stream.drainBuffered()).map(view)).toEqual([{ id: 0, rev: 1, events: [], canceled: true }]);
    expect(hub.stats().synced).toBe(0);
  });

  it('caps watchers per stream', async () => {
    const { hub } = setup({ maxWatchersPerStream: 2 });
    const stream = hub.newStream();
    stream.watch({ key: utf8('a') });
    stream.watch({ key: utf8('a') });
    expect(stream.watch({ key: utf8('a') })).toBe(-1);
    const last = (await stream.drainBuffered()).pop();
    expect(last?.cancelReason).toBe('cairn: too many watchers on this stream');
  });

  it('ends a stream whose client floods requests without reading replies', async () => {
    const { hub } = setup({ streamBufferResponses: 2, streamControlSlack: 1 });
    const stream = hub.newStream();
    for (let i = 0; i < 3; i++) stream.watch({ key: utf8('a') });
    expect(stream.watch({ key: utf8('a') })).toBe(-1);
    expect(stream.isClosed).toBe(true);
    expect(hub.stats()).toMatchObject({ streams: 0, synced: 0 });
    await expect(stream.next()).rejects.toSatisfy((e) => isKvError(e, 'TooManyRequests'));
  });

  it('closing a stream removes its watchers and ends iteration', async () => {
    const { source, hub } = setup();
    const stream = hub.newStream();
    stream.watch({ key: utf8('a') });
    stream.watch({ key: utf8('b'), startRevision: 1 });
    const seen: WatchResponse[] = [];
    const reader = (async () => {
      for await (const r of stream) seen.push(r);
    })();
    await new Promise((r) => setImmediate(r));
    stream.close();
    await reader;
    source.apply([put('a')]);
    expect(hub.stats()).toMatchObject({ streams: 0, synced: 0, unsynced: 0 });
    expect(seen.every((r) => r.created)).toBe(true);
  });
});

describe('WatchHub: compaction', () => {
  it('cancels a watcher that starts below the compacted revision with compact_revision', async () => {
    const { source, hub } = setup();
    for (let i = 0; i < 4; i++) source.apply([put('a')]); // revs 2..5
    source.compact(4);
    const stream = hub.newStream();
    stream.watch({ key: utf8('a'), startRevision: 2 });
    stream.watch({ key: utf8('a'), startRevision: 4 }); // == compacted: accepted
    await settle(hub);
    const got = (await stream.drainBuffered()).map(view);
    expect(got).toEqual([
      { id: 0, rev: 5, events: [], created: true },
      { id: 1, rev: 5, events: [], created: true },
      { id: 0, rev: 0, events: [], canceled: true, compact: 4 },
      { id: 1, rev: 5, events: ['PUT a@4', 'PUT a@5'] },
    ]);
    expect(stream.watcherIds()).toEqual([1]);
  });

  it('discards a history read that a compaction overtook and cancels instead of skipping events', async () => {
    const { source, hub } = setup();
    for (let i = 0; i < 6; i++) source.apply([put('a')]); // revs 2..7
    let release!: () => void;
    source.readGate = () => new Promise<void>((r) => (release = r));
    const stream = hub.newStream();
    stream.watch({ key: utf8('a'), startRevision: 2 });
    const round = hub.syncNow();
    await new Promise((r) => setImmediate(r));
    source.compact(6); // the read took revs 2..4, then finds 5 gone
    source.readGate = undefined;
    release();
    await round;
    await settle(hub);
    const got = (await stream.drainBuffered()).map(view);
    expect(got.slice(1)).toEqual([{ id: 0, rev: 0, events: [], canceled: true, compact: 6 }]);
  });
});

describe('WatchHub: progress', () => {
  it('answers a progress request only when every watcher on the stream is synced', async () => {
    const { source, hub } = setup();
    source.apply([put('a')]);
    const stream = hub.newStream();
    expect(stream.requestProgress()).toBe(false); // no watchers: no answer (etcd 3.5.13+)
    stream.watch({ key: utf8('a') });
    stream.watch({ key: utf8('a'), startRevision: 1 });
    expect(stream.requestProgress()).toBe(false);
    await settle(hub);
    expect(stream.requestProgress()).toBe(true);
    const got = (await stream.drainBuffered()).map(view);
    expect(got[got.length - 1]).toEqual({ id: -1, rev: 2, events: [] });
  });

  it('sends progress_notify to quiet synced watchers each interval, not to busy ones', async () => {
    const { source, clock, hub } = setup({ progressNotifyIntervalMs: 1000 });
    const stream = hub.newStream();
    stream.watch({ key: utf8('a'), progressNotify: true });
    stream.watch({ key: utf8('b'), progressNotify: true });
    stream.watch({ key: utf8('c') });
    await stream.drainBuffered();
    clock.advance(1000);
    expect((await stream.drainBuffered()).map(view)).toEqual([
      { id: 0, rev: 1, events: [] },
      { id: 1, rev: 1, events: [] },
    ]);
    source.apply([put('a')]);
    clock.advance(1000);
    expect((await stream.drainBuffered()).map(view)).toEqual([
      { id: 0, rev: 2, events: ['PUT a@2'] },
      { id: 1, rev: 2, events: [] },
    ]);
    stream.close();
    clock.advance(2000);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('WatchHub: fragmenting', () => {
  it('splits a large response into pieces only for watchers that asked, keeping the header', async () => {
    const { source, hub } = setup({ fragmentBytes: 600 });
    const stream = hub.newStream();
    stream.watch({ key: utf8('k'), rangeEnd: utf8('l'), fragment: true });
    stream.watch({ key: utf8('k'), rangeEnd: utf8('l') });
    const big = 'x'.repeat(100);
    source.apply(Array.from({ length: 10 }, (_, i) => put(`k${i}`, big)));
    const got = (await stream.drainBuffered()).filter((r) => !r.created);
    const pieces = got.filter((r) => r.watchId === 0);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.map((p) => p.fragment ?? false)).toEqual([...pieces.slice(1).map(() => true), false]);
    expect(pieces.every((p) => p.headerRevision === 2)).toBe(true);
    expect(pieces.flatMap((p) => p.events.map((e) => fromUtf8(e.kv.key)))).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`));
    expect(got.filter((r) => r.watchId === 1)).toHaveLength(1);
  });
});

describe('WatchHub: restore', () => {
  it('after a snapshot replaced the store, synced watchers catch up on the skipped revisions from history', async () => {
    const { source, hub } = setup({}, false);
    const stream = hub.newStream();
    stream.watch({ key: utf8('a') });
    stream.watch({ key: utf8('a'), startRevision: 9 }); // a future watcher keeps its start
    const events = source.apply([put('a')]); // rev 2, notified
    hub.notify(2, events);
    source.apply([put('a')]); // revs 3..4 arrive by snapshot: never notified
    source.apply([put('a')]);
    hub.restore();
    expect(hub.revision()).toBe(4);
    await settle(hub);
    for (let i = 0; i < 6; i++) hub.notify(source.currentRevision() + 1, source.apply([put('a')])); // revs 5..10
    const got = await stream.drainBuffered();
    const revsOf = (id: number) => got.filter((r) => r.watchId === id).flatMap((r) => r.events.map((e) => e.kv.modRevision));
    expect(revsOf(0)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(revsOf(1)).toEqual([9, 10]);
  });

  it('refuses a notify that goes backwards', () => {
    const { hub } = setup();
    expect(() => hub.notify(1, [])).toThrow(/after 1/);
  });
});

describe('WatchHub: timers', () => {
  const flush = () => new Promise((r) => setImmediate(r));

  it('catches unsynced watchers up on the injected clock alone, and leaves no timer when idle', async () => {
    const { source, clock, hub } = setup({ syncReadMaxEvents: 2, maxWatchersPerSync: 1 });
    for (let i = 0; i < 6; i++) source.apply([put('a')]); // revs 2..7
    const stream = hub.newStream();
    stream.watch({ key: utf8('a'), startRevision: 2 });
    stream.watch({ key: utf8('a'), startRevision: 5 });
    for (let i = 0; i < 20 && hub.stats().unsynced > 0; i++) {
      clock.advance(0);
      await flush();
    }
    expect(hub.stats()).toMatchObject({ synced: 2, unsynced: 0 });
    const got = await stream.drainBuffered();
    const revsOf = (id: number) => got.filter((r) => r.watchId === id).flatMap((r) => r.events.map((e) => e.kv.modRevision));
    expect(revsOf(0)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(revsOf(1)).toEqual([5, 6, 7]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('close() ends every stream and cancels the sync and progress timers, even with a victim pending', async () => {
    const { source, clock, hub } = setup({ streamBufferResponses: 1, syncIntervalMs: 100 });
    const stream = hub.newStream();
    stream.watch({ key: utf8('a'), progressNotify: true });
    source.apply([put('a')]); // the created reply fills the buffer: revision 2 is held by the victim
    expect(hub.stats().victims).toBe(1);
    // The progress ticker, and the stall check (a consumer that never reads is canceled after
    // slowConsumerCancelMs); the victim itself needs no timer.
    expect(clock.pendingTimers()).toBe(2);
    hub.close();
    expect(stream.isClosed).toBe(true);
    clock.advance(1000);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('WatchHub: a revision gap', () => {
  it('treats a notify that skips revisions as a restore: synced watchers re-read the gap from history', async () => {
    const { source, hub } = setup({}, false);
    const stream = hub.newStream();
    stream.watch({ key: utf8('a') });
    hub.notify(2, source.apply([put('a')]));
    source.apply([put('a')]); // rev 3: never notified
    hub.notify(4, source.apply([put('a')]));
    await settle(hub);
    hub.notify(5, source.apply([put('a')]));
    const revs = (await stream.drainBuffered()).flatMap((r) => r.events.map((e) => e.kv.modRevision));
    expect(revs).toEqual([2, 3, 4, 5]);
  });
});

describe('WatchStream: after close', () => {
  it('ignores requests on a closed stream instead of throwing', async () => {
    const { hub } = setup();
    const stream = hub.newStream();
    stream.close();
    expect(stream.watch({ key: utf8('a') })).toBe(-1);
    expect(stream.cancel(0)).toBe(false);
    expect(stream.requestProgress()).toBe(false);
    expect(await stream.next()).toBeUndefined();
    expect(hub.stats()).toMatchObject({ streams: 0, synced: 0 });
  });
});
