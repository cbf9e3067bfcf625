/**
 * Issue 15: one revision of many keys with prev_kv was shaped whole before the first byte went
 * out (every previous value looked up and held at once). A watcher with `fragment` gets it piece
 * by piece, looked up as it goes; one without gets it whole up to a bound (64 MiB), past which
 * the stream ends with ResourceExhausted (etcd's gRPC send fails the same way).
 */
import { describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';
import { isKvError } from '../../src/util/errors.js';
import { ManualClock } from '../../src/util/clock.js';
import { MemoryWatchSource } from '../../src/store/watch-memory-source.js';
import { WatchHub } from '../../src/store/watch-hub.js';
import type { WatchHubOptions, WatchResponse } from '../../src/store/watch-types.js';

const KEYS = 200;
const VALUE_BYTES = 10_000;

/** KEYS keys of VALUE_BYTES each (one revision), then a watcher's stream; the deletes come later. */
function setup(options: Partial<WatchHubOptions>) {
  const source = new MemoryWatchSource();
  const hub = new WatchHub(source, new ManualClock(), options);
  source.subscribe(hub.listener);
  const key = (i: number) => utf8(`k/${String(i).padStart(3, '0')}`);
  source.apply(Array.from({ length: KEYS }, (_, i) => ({ type: 'put' as const, key: key(i), value: new Uint8Array(VALUE_BYTES).fill(i % 256) })));
  let lookups = 0;
  const getAt = source.getAt.bind(source);
  source.getAt = (k, rev) => {
    lookups++;
    return getAt(k, rev);
  };
  const deleteAll = () => source.apply(Array.from({ length: KEYS }, (_, i) => ({ type: 'delete' as const, key: key(i) })));
  return { hub, deleteAll, lookups: () => lookups };
}

describe('a revision of many keys with prev_kv', () => {
  it('reaches a fragment watcher in pieces, each looked up as it goes out', async () => {
    const { hub, deleteAll, lookups } = setup({ fragmentBytes: 50_000 });
    const stream = hub.newStream();
    stream.watch({ key: utf8('k/'), rangeEnd: utf8('k0'), prevKv: true, fragment: true });
    expect((await stream.next())?.created).toBe(true);
    deleteAll();
    const first = (await stream.next()) as WatchResponse;
    expect(first.fragment).toBe(true);
    // Only this piece's previous values (and the next piece's first) were read, not all 200.
    expect(first.events.length).toBeLessThan(10);
    expect(lookups()).toBeLessThanOrEqual(first.events.length + 1);
    const pieces = [first, ...(await stream.drainBuffered())];
    expect(pieces.length).toBeGreaterThan(KEYS / 10);
    expect(pieces.map((p) => p.fragment ?? false)).toEqual([...pieces.slice(1).map(() => true), false]);
    const events = pieces.flatMap((p) => p.events);
    expect(events.map((e) => fromUtf8(e.kv.key))).toEqual(Array.from({ length: KEYS }, (_, i) => `k/${String(i).padStart(3, '0')}`));
    expect(events.every((e, i) => e.type === 'DELETE' && e.prevKv?.value.length === VALUE_BYTES && e.prevKv.value[0] === i % 256)).toBe(true);
    expect(lookups()).toBe(KEYS);
  });

  it('ends the stream of a watcher without fragment with ResourceExhausted past the bound', async () => {
    const { hub, deleteAll, lookups } = setup({ wholeResponseMaxBytes: 500_000 });
    const stream = hub.newStream();
    stream.watch({ key: utf8('k/'), rangeEnd: utf8('k0'), prevKv: true });
    expect((await stream.next())?.created).toBe(true);
    deleteAll();
    const err = await stream.next().catch((e: unknown) => e);
    expect(isKvError(err, 'ResponseTooLarge')).toBe(true);
    expect((err as Error).message).toMatch(/^grpc: trying to send message larger than max \(\d+ vs\. 500000\)$/);
    // It stopped reading at the bound: ~50 of the 200 previous values.
    expect(lookups()).toBeLessThan(KEYS / 2);
    expect(stream.isClosed).toBe(true);
    expect(hub.stats().streams).toBe(0);
  });

  it('is sent whole below the bound', async () => {
    const { hub, deleteAll } = setup({});
    const stream = hub.newStream();
    stream.watch({ key: utf8('k/'), rangeEnd: utf8('k0'), prevKv: true });
    expect((await stream.next())?.created).toBe(true);
    deleteAll();
    const whole = (await stream.next()) as WatchResponse;
    expect(whole.fragment).toBeUndefined();
    expect(whole.events).toHaveLength(KEYS);
    expect(whole.events.every((e) => e.prevKv?.value.length === VALUE_BYTES)).toBe(true);
  });
});
