/**
 * The six watch guarantees (reference/etcd-gateway.md §6.1) as properties: random writes,
 * watchers from random start revisions, slow consumers, compactions, cancels and resumes, with
 * every stream's output checked against the model's history.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual, compareBytes, utf8 } from '../../src/util/bytes.js';
import { ManualClock } from '../../src/util/clock.js';
import type { Event, KeyValue } from '../../src/store/types.js';
import { MemoryWatchSource, type ModelOp } from '../../src/store/watch-memory-source.js';
import { WatchHub } from '../../src/store/watch-hub.js';
import type { WatchHubOptions, WatchRequest, WatchResponse } from '../../src/store/watch-types.js';
import type { WatchStream } from '../../src/store/watch-stream.js';

const KEYS = ['a', 'b', 'c', 'd'];

interface Record {
  readonly stream: number;
  readonly req: WatchRequest;
  id: number;
  /** First revision the watcher owes, known once its created reply is read. */
  start: number;
  received: Event[];
  ended: 'open' | 'canceled' | 'compacted';
}

class Checker {
  readonly source = new MemoryWatchSource();
  readonly clock = new ManualClock();
  readonly hub: WatchHub;
  readonly streams: WatchStream[];
  readonly log: Event[] = [];
  /** For prev_kv checks: every version ever written, by key and revision. */
  readonly records: Record[] = [];
  /** Per stream: records whose created reply has not been read yet, in creation order. */
  private readonly awaitingCreated: Record[][];
  private readonly bound: Map<number, Record>[];

  constructor(options: Partial<WatchHubOptions>, streams: number) {
    this.hub = new WatchHub(this.source, this.clock, options);
    this.source.subscribe(this.hub.listener);
    this.streams = Array.from({ length: streams }, () => this.hub.newStream());
    this.awaitingCreated = this.streams.map(() => []);
    this.bound = this.streams.map(() => new Map());
  }

  apply(ops: ModelOp[]): void {
    this.log.push(...this.source.apply(ops));
  }

  watch(stream: number, req: WatchRequest): void {
    const s = this.streams[stream] as WatchStream;
    const id = s.watch(req);
    expect(id).toBeGreaterThanOrEqual(0);
    const rec: Record = { stream, req, id, start: 0, received: [], ended: 'open' };
    this.records.push(rec);
    (this.awaitingCreated[stream] as Record[]).push(rec);
  }

  cancel(stream: number, pick: number): void {
    const s = this.streams[stream] as WatchStream;
    const ids = s.watcherIds();
    if (ids.length === 0) return;
    s.cancel(ids[pick % ids.length] as number);
  }

  /** Re-watches a canceled watcher's range from the revision after the last it saw. */
  resume(pick: number): void {
    const done = this.records.filter((r) => r.ended === 'canceled' && r.start > 0);
    const rec = done[pick % Math.max(1, done.length)];
    if (rec === undefined) return;
    const last = rec.received[rec.received.length - 1];
    const from = last === undefined ? rec.start : last.kv.modRevision + 1;
    this.watch(rec.stream, { ...rec.req, startRevision: from, watchId: 0 });
  }

  async drain(stream: number, n: number): Promise<void> {
    const s = this.streams[stream] as WatchStream;
    for (let i = 0; i < n && s.buffered > 0; i++) {
      const resp = await s.next();
      if (resp === undefined) return;
      this.observe(stream, resp);
    }
  }

  /** Interleaving mode: history reads wait until released, while writes and requests go on. */
  private readonly gates: (() => void)[] = [];
  gateReads(): void {
    this.source.readGate = () => new Promise<void>((resolve) => this.gates.push(resolve));
  }
  release(): void {
    this.gates.shift()?.();
  }

  async finish(): Promise<void> {
    this.source.readGate = undefined;
    while (this.gates.length > 0) this.release();
    for (let round = 0; round < 500; round++) {
      const { unsynced, victims } = this.hub.stats();
      const buffered = this.streams.some((s) => s.buffered > 0);
      if (unsynced === 0 && victims === 0 && !buffered) return;
      for (let i = 0; i < this.streams.length; i++) await this.drain(i, 1000);
      await this.hub.syncNow();
    }
    throw new Error(`watchers never caught up: ${JSON.stringify(this.hub.stats())}`);
  }

  /** The events `rec` must get, in order: its range, its filters, from its start revision. */
  expected(rec: Record): Event[] {
    return this.log.filter((ev) => ev.kv.modRevision >= rec.start && matches(rec.req, ev));
  }

  private observe(stream: number, resp: WatchResponse): void {
    const bound = this.bound[stream] as Map<number, Record>;
    if (resp.created) {
      const rec = (this.awaitingCreated[stream] as Record[]).shift();
      expect(rec?.id).toBe(resp.watchId);
      if (rec === undefined) return;
      rec.start = rec.req.startRevision || resp.headerRevision + 1;
      bound.set(rec.id, rec);
      return;
    }
    if (resp.watchId === -1) {
      // Bookmarkable: a progress reply at R means every watcher on the stream has all events ≤ R.
      for (const rec of bound.values()) this.checkDeliveredThrough(rec, resp.headerRevision);
      return;
    }
    const rec = bound.get(resp.watchId);
    expect(rec, `response for unbound watch ${resp.watchId}`).toBeDefined();
    if (rec === undefined) return;
    if (resp.canceled) {
      rec.ended = resp.compactRevision !== undefined ? 'compacted' : 'canceled';
      bound.delete(resp.watchId);
      return;
    }
    this.checkAtomic(rec, resp);
    for (const ev of resp.events) this.checkPrevKv(rec, ev);
    rec.received.push(...resp.events);
    // Unique, ordered and reliable so far: what arrived is exactly a prefix of what is owed.
    const owed = this.expected(rec).slice(0, rec.received.length);
    expect(rec.received.map(describeEvent)).toEqual(owed.map(describeEvent));
    // A response's header revision is a bookmark for its own watcher.
    this.checkDeliveredThrough(rec, resp.headerRevision);
  }

  private checkDeliveredThrough(rec: Record, rev: number): void {
    const owed = this.expected(rec).filter((ev) => ev.kv.modRevision <= rev);
    expect(rec.received.length, `watch ${rec.id} bookmarked at ${rev}`).toBeGreaterThanOrEqual(owed.length);
  }

  /** Atomic: a response holds every event the watcher is owed at each revision it touches. */
  private checkAtomic(rec: Record, resp: WatchResponse): void {
    const revs = new Set(resp.events.map((ev) => ev.kv.modRevision));
    for (const rev of revs) {
      const owed = this.expected(rec).filter((ev) => ev.kv.modRevision === rev).length;
      expect(resp.events.filter((ev) => ev.kv.modRevision === rev).length).toBe(owed);
    }
  }

  private checkPrevKv(rec: Record, ev: Event): void {
    if (!rec.req.prevKv) {
      expect(ev.prevKv).toBeUndefined();
      return;
    }
    const prev = this.versionAt(ev.kv.key, ev.kv.modRevision - 1);
    const isCreate = ev.type === 'PUT' && ev.kv.createRevision === ev.kv.modRevision;
    if (isCreate || prev === undefined) expect(ev.prevKv).toBeUndefined();
    else if (ev.prevKv !== undefined || this.source.compactedRevision() < ev.kv.modRevision) expect(ev.prevKv).toEqual(prev);
  }

  private versionAt(key: Uint8Array, rev: number): KeyValue | undefined {
    let found: KeyValue | undefined;
    for (const ev of this.log) {
      if (ev.kv.modRevision > rev) break;
      if (bytesEqual(ev.kv.key, key)) found = ev.type === 'PUT' ? ev.kv : undefined;
    }
    return found;
  }
}

function matches(req: WatchRequest, ev: Event): boolean {
  if (ev.type === 'PUT' ? req.noPut : req.noDelete) return false;
  const key = ev.kv.key;
  if (req.rangeEnd === undefined) return bytesEqual(key, req.key);
  return compareBytes(key, req.key) >= 0 && (req.rangeEnd.length === 1 && req.rangeEnd[0] === 0 ? true : compareBytes(key, req.rangeEnd) < 0);
}

function describeEvent(ev: Event): string {
  return `${ev.type} ${Buffer.from(ev.kv.key).toString()}@${ev.kv.modRevision} v${ev.kv.version}`;
}

const opArb: fc.Arbitrary<ModelOp> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constantFrom(...KEYS), v: fc.nat(99) }).map(({ k, v }) => ({ type: 'put', key: utf8(k), value: utf8(`${v}`) }) as ModelOp), weight: 3 },
  { arbitrary: fc.constantFrom(...KEYS).map((k) => ({ type: 'delete', key: utf8(k) }) as ModelOp), weight: 1 },
);

const rangeArb = fc.oneof(
  fc.constantFrom(...KEYS).map((k) => ({ key: utf8(k) })),
  fc.constantFrom(['a', 'c'], ['b', 'd'], ['b', 'e']).map(([k, e]) => ({ key: utf8(k as string), rangeEnd: utf8(e as string) })),
  fc.constantFrom('a', 'c').map((k) => ({ key: utf8(k), rangeEnd: new Uint8Array([0]) })),
);

type Action =
  | { t: 'apply'; ops: ModelOp[] }
  | { t: 'watch'; stream: number; range: { key: Uint8Array; rangeEnd?: Uint8Array }; back: number; noPut: boolean; noDelete: boolean; prevKv: boolean }
  | { t: 'drain'; stream: number; n: number }
  | { t: 'sync' }
  | { t: 'release' }
  | { t: 'restore' }
  | { t: 'progress'; stream: number }
  | { t: 'cancel'; stream: number; pick: number }
  | { t: 'resume'; pick: number }
  | { t: 'compact'; back: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.array(opArb, { minLength: 1, maxLength: 3 }).map((ops) => ({ t: 'apply', ops }) as Action), weight: 6 },
  {
    arbitrary: fc
      .record({ stream: fc.nat(1), range: rangeArb, back: fc.integer({ min: -2, max: 12 }), noPut: fc.boolean(), noDelete: fc.boolean(), prevKv: fc.boolean() })
      .map((r) => ({ t: 'watch', ...r }) as Action),
    weight: 3,
  },
  { arbitrary: fc.record({ stream: fc.nat(1), n: fc.integer({ min: 1, max: 6 }) }).map((r) => ({ t: 'drain', ...r }) as Action), weight: 3 },
  { arbitrary: fc.constant({ t: 'sync' } as Action), weight: 2 },
  { arbitrary: fc.constant({ t: 'release' } as Action), weight: 2 },
  { arbitrary: fc.nat(1).map((stream) => ({ t: 'progress', stream }) as Action), weight: 1 },
  { arbitrary: fc.record({ stream: fc.nat(1), pick: fc.nat(7) }).map((r) => ({ t: 'cancel', ...r }) as Action), weight: 1 },
  { arbitrary: fc.nat(7).map((pick) => ({ t: 'resume', pick }) as Action), weight: 1 },
  { arbitrary: fc.nat(6).map((back) => ({ t: 'compact', back }) as Action), weight: 1 },
);

/** Small limits so victims, truncated history reads and revision-capped batches all happen. */
const TIGHT: Partial<WatchHubOptions> = { streamBufferResponses: 3, streamControlSlack: 64, syncReadMaxEvents: 3, batchMaxRevisions: 2, maxWatchersPerSync: 2 };

async function run(actions: Action[], options: Partial<WatchHubOptions>, interleave = false): Promise<Checker> {
  const c = new Checker(options, 2);
  if (interleave) c.gateReads();
  for (const a of actions) {
    switch (a.t) {
      case 'apply':
        c.apply(a.ops);
        break;
      case 'watch': {
        // back > 0: that many revisions into the past (history replay); 0: from now; < 0: the future.
        const now = c.hub.revision();
        const startRevision = a.back === 0 ? 0 : Math.max(1, now - a.back + 1);
        c.watch(a.stream, { ...a.range, startRevision, noPut: a.noPut, noDelete: a.noDelete, prevKv: a.prevKv });
        break;
      }
      case 'drain':
        await c.drain(a.stream, a.n);
        break;
      case 'sync':
        // Interleaved: the round stays parked in its history read until a later 'release'.
        if (interleave) void c.hub.syncNow();
        else await c.hub.syncNow();
        break;
      case 'release':
        c.release();
        await new Promise((r) => setImmediate(r));
        break;
      case 'restore':
        c.hub.restore();
        break;
      case 'progress':
        (c.streams[a.stream] as WatchStream).requestProgress();
        break;
      case 'cancel':
        c.cancel(a.stream, a.pick);
        break;
      case 'resume':
        c.resume(a.pick);
        break;
      case 'compact': {
        const target = c.source.currentRevision() - a.back;
        if (target > c.source.compactedRevision()) c.source.compact(target);
        break;
      }
    }
  }
  await c.finish();
  return c;
}

function checkFinal(c: Checker): void {
  for (const rec of c.records) {
    expect(rec.start, `watch ${rec.id} never got its created reply`).toBeGreaterThan(0);
    const owed = c.expected(rec).map(describeEvent);
    const got = rec.received.map(describeEvent);
    if (rec.ended === 'open') expect(got).toEqual(owed);
    else expect(got).toEqual(owed.slice(0, got.length));
  }
}

describe('watch guarantees (property)', () => {
  it('every stream replays exactly the model changes from its start revision, under tight limits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 15, maxLength: 60 }), async (actions) => checkFinal(await run(actions, TIGHT))),
      { numRuns: 100 },
    );
  });

  it('the same holds with etcd-sized limits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 15, maxLength: 60 }), async (actions) => checkFinal(await run(actions, {}))),
      { numRuns: 40 },
    );
  });

  it('holds while writes, cancels, compactions and drains race in-flight history reads', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 15, maxLength: 60 }), async (actions) => checkFinal(await run(actions, TIGHT, true))),
      { numRuns: 100 },
    );
  });

  it('holds across restore (every synced watcher catches up from history)', async () => {
    const withRestore = fc.array(fc.oneof({ arbitrary: actionArb, weight: 10 }, { arbitrary: fc.constant({ t: 'restore' } as Action), weight: 1 }), { minLength: 15, maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(withRestore, fc.boolean(), async (actions, interleave) => checkFinal(await run(actions, TIGHT, interleave))),
      { numRuns: 60 },
    );
  });

  it('a watcher from revision 1 on an uncompacted store sees the whole history', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 3 }), { maxLength: 30 }), async (txns) => {
        const c = new Checker(TIGHT, 1);
        for (const ops of txns) c.apply(ops);
        c.watch(0, { key: utf8('a'), rangeEnd: new Uint8Array([0]), startRevision: 1 });
        await c.finish();
        expect((c.records[0] as Record).received.map(describeEvent)).toEqual(c.log.map(describeEvent));
      }),
      { numRuns: 50 },
    );
  });
});

describe('slow consumers', () => {
  it('a full stream never blocks notify or other streams, and catches up with every event later', async () => {
    const c = new Checker({ streamBufferResponses: 4 }, 2);
    c.watch(0, { key: utf8('a') });
    c.watch(1, { key: utf8('a') });
    await c.drain(0, 10);
    await c.drain(1, 10);
    for (let i = 0; i < 50; i++) {
      c.apply([{ type: 'put', key: utf8('a'), value: utf8(`${i}`) }]);
      await c.drain(1, 10); // stream 1 keeps up; stream 0 does not read at all
    }
    expect(c.hub.stats().victims).toBe(1);
    expect((c.records[1] as Record).received).toHaveLength(50);
    expect((c.records[0] as Record).received).toHaveLength(0);
    await c.finish();
    expect((c.records[0] as Record).received.map(describeEvent)).toEqual(c.log.map(describeEvent));
    expect(c.hub.stats()).toMatchObject({ synced: 2, unsynced: 0, victims: 0 });
  });

  it('a victim resumes from history when its consumer drains (no sync timer needed for the retry)', async () => {
    const c = new Checker({ streamBufferResponses: 1 }, 1);
    c.watch(0, { key: utf8('a') });
    await c.drain(0, 1);
    c.apply([{ type: 'put', key: utf8('a'), value: utf8('1') }]);
    c.apply([{ type: 'put', key: utf8('a'), value: utf8('2') }]);
    expect(c.hub.stats().victims).toBe(1);
    await c.drain(0, 1); // frees room: the held revision-3 response goes in at once
    expect(c.hub.stats()).toMatchObject({ victims: 0, unsynced: 0, synced: 1 });
    await c.drain(0, 1);
    expect((c.records[0] as Record).received.map((e) => e.kv.modRevision)).toEqual([2, 3]);
  });
});
