/**
 * The watch hub over the real KvStore (MemoryBackend): streams from any start revision replay
 * exactly the changes of a model that applies the same writes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/storage/memory-backend.js';
import { bytesEqual, compareBytes, fromUtf8, utf8 } from '../../src/util/bytes.js';
import { ManualClock } from '../../src/util/clock.js';
import { KvStore } from '../../src/store/kv-store.js';
import { Lessor } from '../../src/store/lessor.js';
import type { Event } from '../../src/store/types.js';
import { MemoryWatchSource, type ModelOp } from '../../src/store/watch-memory-source.js';
import { WatchHub } from '../../src/store/watch-hub.js';
import type { WatchStream } from '../../src/store/watch-stream.js';
import type { WatchHubOptions, WatchResponse } from '../../src/store/watch-types.js';

const KEYS = ['a', 'b', 'c', 'd', 'e'];

function describeEvent(ev: Event): string {
  const kv = ev.kv;
  return `${ev.type} ${fromUtf8(kv.key)}@${kv.modRevision} c${kv.createRevision} v${kv.version} =${fromUtf8(kv.value)} prev:${ev.prevKv ? fromUtf8(ev.prevKv.value) : '-'}`;
}

interface Watched {
  readonly stream: WatchStream;
  readonly id: number;
  readonly key: Uint8Array;
  readonly end: Uint8Array | undefined;
  readonly start: number;
  readonly events: Event[];
  compacted: boolean;
}

function inRange(w: Watched, key: Uint8Array): boolean {
  if (w.end === undefined) return bytesEqual(key, w.key);
  return compareBytes(key, w.key) >= 0 && compareBytes(key, w.end) < 0;
}

/** The key's value as of `rev`, from the full log (compaction does not hide it). */
function versionAt(log: Event[], key: Uint8Array, rev: number): Event['kv'] | undefined {
  let found: Event['kv'] | undefined;
  for (const ev of log) {
    if (ev.kv.modRevision > rev) break;
    if (bytesEqual(ev.kv.key, key)) found = ev.type === 'PUT' ? ev.kv : undefined;
  }
  return found;
}

/** The events the model says `w` must see, with prev_kv as it was at mod_revision − 1. */
function owed(log: Event[], w: Watched): Event[] {
  const out: Event[] = [];
  for (const ev of log) {
    if (ev.kv.modRevision < w.start || !inRange(w, ev.kv.key)) continue;
    const isCreate = ev.type === 'PUT' && ev.kv.createRevision === ev.kv.modRevision;
    const prevKv = isCreate ? undefined : versionAt(log, ev.kv.key, ev.kv.modRevision - 1);
    out.push(prevKv === undefined ? ev : { ...ev, prevKv });
  }
  return out;
}

type Action =
  | { t: 'txn'; ops: { key: string; put: boolean; value: number }[] }
  | { t: 'watch'; key: string; range: boolean; back: number }
  | { t: 'drain'; n: number }
  | { t: 'sync' }
  | { t: 'compact'; back: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    arbitrary: fc
      .uniqueArray(fc.record({ key: fc.constantFrom(...KEYS), put: fc.boolean(), value: fc.nat(999) }), { minLength: 1, maxLength: 3, selector: (o) => o.key })
      .map((ops) => ({ t: 'txn', ops }) as Action),
    weight: 6,
  },
  { arbitrary: fc.record({ key: fc.constantFrom(...KEYS), range: fc.boolean(), back: fc.integer({ min: -1, max: 10 }) }).map((r) => ({ t: 'watch', ...r }) as Action), weight: 2 },
  { arbitrary: fc.integer({ min: 1, max: 5 }).map((n) => ({ t: 'drain', n }) as Action), weight: 2 },
  { arbitrary: fc.constant({ t: 'sync' } as Action), weight: 2 },
  { arbitrary: fc.nat(5).map((back) => ({ t: 'compact', back }) as Action), weight: 1 },
);

const TIGHT: Partial<WatchHubOptions> = { streamBufferResponses: 3, syncReadMaxEvents: 2, batchMaxRevisions: 2, maxWatchersPerSync: 2 };

async function run(actions: Action[]): Promise<void> {
  const backend = new MemoryBackend();
  const kv = await KvStore.open(backend, { yieldBetweenBatches: async () => undefined });
  const hub = new WatchHub(kv, new ManualClock(), TIGHT);
  kv.onCommit(hub.listener);
  const model = new MemoryWatchSource();
  const log: Event[] = [];
  const stream = hub.newStream();
  const byId = new Map<number, Watched>();
  const all: Watched[] = [];

  const take = (r: WatchResponse) => {
    const w = byId.get(r.watchId);
    if (w === undefined || r.created) return;
    if (r.compactRevision !== undefined) w.compacted = true;
    w.events.push(...r.events);
  };

  for (const a of actions) {
    switch (a.t) {
      case 'txn': {
        const ops: ModelOp[] = a.ops.map((o) => (o.put ? { type: 'put', key: utf8(o.key), value: utf8(`${o.value}`) } : { type: 'delete', key: utf8(o.key) }));
        await kv.txn({
          success: ops.map((o) =>
            o.type === 'put' ? { type: 'put', request: { key: o.key, value: o.value } } : { type: 'deleteRange', request: { key: o.key } },
          ),
        });
        log.push(...model.apply(ops));
        expect(kv.currentRevision()).toBe(model.currentRevision());
        break;
      }
      case 'watch': {
        const key = utf8(a.key);
        const end = a.range ? utf8(String.fromCharCode(a.key.charCodeAt(0) + 2)) : undefined;
        const now = kv.currentRevision();
        const startRevision = a.back < 0 ? now + 1 : a.back === 0 ? 0 : Math.max(1, now - a.back + 1);
        const id = stream.watch({ key, rangeEnd: end, startRevision, prevKv: true });
        const w: Watched = { stream, id, key, end, start: startRevision === 0 ? now + 1 : startRevision, events: [], compacted: false };
        byId.set(id, w);
        all.push(w);
        break;
      }
      case 'drain':
        for (let i = 0; i < a.n && stream.buffered > 0; i++) take((await stream.next()) as WatchResponse);
        break;
      case 'sync':
        await hub.syncNow();
        break;
      case 'compact': {
        const target = kv.currentRevision() - a.back;
        if (target > kv.compactedRevision()) {
          await (await kv.compact(target)).physical;
          model.compact(target);
        }
        break;
      }
    }
  }
  for (let i = 0; i < 200 && (hub.stats().unsynced > 0 || hub.stats().victims > 0 || stream.buffered > 0); i++) {
    for (const r of await stream.drainBuffered()) take(r);
    await hub.syncNow();
  }
  expect(hub.stats()).toMatchObject({ unsynced: 0, victims: 0 });
  // A DELETE exactly at a compaction revision is owed like any other (etcd #19179, fixed as in
  // etcd PR #18274: compaction keeps that tombstone).
  const strip = (ev: Event) => describeEvent(ev).replace(/ prev:.*$/, '');
  for (const w of all) {
    const want = owed(log, w);
    const got = w.events;
    // prev_kv may be missing once its revision is compacted; compare without it first.
    if (w.compacted) expect(got.map(strip)).toEqual(want.slice(0, got.length).map(strip));
    else expect(got.map(strip)).toEqual(want.map(strip));
    const compacted = kv.compactedRevision();
    got.forEach((ev, i) => {
      // prev_kv, when sent, is right; it may only be left out once its revision is compacted.
      if (ev.kv.modRevision - 1 >= compacted || ev.prevKv !== undefined) expect(describeEvent(ev)).toBe(describeEvent(want[i] as Event));
    });
  }
  hub.close();
  await kv.close();
}

describe('watch hub over KvStore', () => {
  it('replays exactly the model changes from any start revision, with prev_kv', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 15, maxLength: 40 }), (actions) => run(actions)),
      { numRuns: 60 },
    );
  });
});

describe('watch hub and lessor across a snapshot restore', () => {
  it('a follower restored from the leader snapshot delivers the skipped revisions and keeps lease attachments', async () => {
    const clock = new ManualClock();
    const open = async () => {
      const backend = new MemoryBackend();
      const lessor = await Lessor.open(backend, clock);
      const kv = await KvStore.open(backend, { leases: lessor });
      return { backend, lessor, kv };
    };
    const leader = await open();
    const follower = await open();
    const hub = new WatchHub(follower.kv, clock);
    follower.kv.onCommit(hub.listener);
    const stream = hub.newStream();
    stream.watch({ key: utf8('k'), rangeEnd: utf8('l') });
    // Both apply the same first writes (as raft would), then the follower falls behind.
    for (const m of [leader, follower]) {
      await m.backend.write(m.lessor.grant(5, 60).ops);
      await m.kv.put({ key: utf8('k1'), value: utf8('1'), lease: 5 });
    }
    await leader.kv.put({ key: utf8('k2'), value: utf8('2'), lease: 5 });
    await leader.kv.deleteRange({ key: utf8('k1') });
    await leader.kv.put({ key: utf8('k3'), value: utf8('3') });
    const snap = await leader.kv.snapshot();
    try {
      await follower.kv.restore(snap.chunks(), () => follower.lessor.reload(follower.backend));
    } finally {
      await snap.release();
    }
    hub.restore();
    for (let i = 0; i < 10 && hub.stats().unsynced > 0; i++) await hub.syncNow();
    await follower.kv.put({ key: utf8('k4'), value: utf8('4') });
    const got = (await stream.drainBuffered()).flatMap((r) => r.events.map((e) => `${e.type} ${fromUtf8(e.kv.key)}@${e.kv.modRevision}`));
    expect(got).toEqual(['PUT k1@2', 'PUT k2@3', 'DELETE k1@4', 'PUT k3@5', 'PUT k4@6']);
    expect(follower.lessor.timeToLive(5, { keys: true }).keys?.map(fromUtf8)).toEqual(['k2']);
    hub.close();
  });
});
