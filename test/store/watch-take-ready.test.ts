/**
 * The stream's fast hand-over (issue 18): `takeReadyNow` and a `next` with nothing ahead of it
 * take a buffered response without the shaper when it needs none. Order, prev_kv, fragments and
 * the size bound must come out as they do through the shaper.
 */
import { describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';
import { ManualClock } from '../../src/util/clock.js';
import { isKvError } from '../../src/util/errors.js';
import { MemoryWatchSource, type ModelOp } from '../../src/store/watch-memory-source.js';
import { WatchHub } from '../../src/store/watch-hub.js';
import type { WatchHubOptions, WatchResponse } from '../../src/store/watch-types.js';

function setup(options: Partial<WatchHubOptions> = {}) {
  const source = new MemoryWatchSource();
  const hub = new WatchHub(source, new ManualClock(), options);
  source.subscribe(hub.listener);
  return { source, hub };
}

const put = (key: string, value = 'v'): ModelOp => ({ type: 'put', key: utf8(key), value: utf8(value) });
const view = (r: WatchResponse | undefined) =>
  r === undefined ? undefined : `${r.watchId}@${r.headerRevision}:${r.events.map((e) => `${fromUtf8(e.kv.key)}${e.prevKv ? `<${fromUtf8(e.prevKv.value)}` : ''}`).join(',')}${r.created ? ' created' : ''}${r.fragment ? ' fragment' : ''}`;

describe('WatchStream.takeReadyNow', () => {
  it('takes buffered responses in order, between next calls, and undefined once empty', async () => {
    const { source, hub } = setup();
    const s = hub.newStream();
    s.watch({ key: utf8('a') });
    s.watch({ key: utf8('a') });
    source.apply([put('a')]);
    source.apply([put('a')]);
    expect(view(await s.next())).toBe('0@1: created');
    expect(view(s.takeReadyNow())).toBe('1@1: created');
    expect(view(s.takeReadyNow())).toBe('0@2:a');
    expect(view(await s.next())).toBe('1@2:a');
    expect([s.takeReadyNow(), s.takeReadyNow()].map(view)).toEqual(['0@3:a', '1@3:a']);
    expect(s.takeReadyNow()).toBeUndefined();
    expect(s.buffered).toBe(0);
  });

  it('never takes ahead of a next that is still waiting', async () => {
    const { source, hub } = setup();
    const s = hub.newStream();
    s.watch({ key: utf8('a') });
    expect(view(await s.next())).toBe('0@1: created');
    const waiting = s.next();
    source.apply([put('a')]);
    source.apply([put('a')]);
    // The pending next is owed revision 2; taking now would hand revision 2 or 3 out of order.
    expect(s.takeReadyNow()).toBeUndefined();
    expect(view(await waiting)).toBe('0@2:a');
    expect(view(s.takeReadyNow())).toBe('0@3:a');
  });

  it('leaves a response that needs prev_kv to next, which attaches it', async () => {
    const { source, hub } = setup();
    const s = hub.newStream();
    source.apply([put('a', 'old')]);
    s.watch({ key: utf8('a'), prevKv: true });
    expect(view(await s.next())).toBe('0@2: created');
    source.apply([put('a', 'new')]);
    expect(s.takeReadyNow()).toBeUndefined();
    expect(view(await s.next())).toBe('0@3:a<old');
  });

  it('leaves a fragmenting watcher to the shaper: its big revision still comes in pieces', async () => {
    const { source, hub } = setup({ fragmentBytes: 300 });
    const s = hub.newStream();
    s.watch({ key: utf8('k/'), rangeEnd: utf8('k0'), fragment: true });
    expect(view(await s.next())).toBe('0@1: created');
    source.apply([put('k/1', 'x'.repeat(200)), put('k/2', 'y'.repeat(200))]);
    expect(s.takeReadyNow()).toBeUndefined();
    expect([await s.next(), await s.next()].map(view)).toEqual(['0@2:k/1 fragment', '0@2:k/2']);
  });

  it('does not hand over a response above the whole-response bound: the stream ends ResourceExhausted', async () => {
    const { source, hub } = setup({ wholeResponseMaxBytes: 1000 });
    const s = hub.newStream();
    s.watch({ key: utf8('a') });
    expect(view(await s.next())).toBe('0@1: created');
    source.apply([put('a', 'z'.repeat(2000))]);
    expect(s.takeReadyNow()).toBeUndefined();
    const err = await s.next().then(() => undefined, (e: unknown) => e);
    expect(isKvError(err, 'ResponseTooLarge')).toBe(true);
  });

  it('shares one events array among the watchers of a one-event revision', async () => {
    const { source, hub } = setup();
    const streams = [hub.newStream(), hub.newStream()];
    for (const s of streams) s.watch({ key: utf8('a') });
    for (const s of streams) await s.next(); // created
    source.apply([put('a')]);
    const [x, y] = [streams[0]!.takeReadyNow(), await streams[1]!.next()];
    expect(view(x)).toBe('0@2:a');
    expect(x?.events).toBe(y?.events);
  });
});
