import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/util/rng.js';
import { validateWatches, type WatchGuarantee } from './watch-guarantees.js';
import { matchesRequest, type WatchEventRecord, type WatchResponseRecord, type WatchStreamRecord } from './watch-history.js';

/** A committed history of `revisions` txns over keys k0..k5, 1–3 events per revision. */
function randomHistory(rng: SeededRng, revisions: number): WatchEventRecord[] {
  const out: WatchEventRecord[] = [];
  for (let rev = 2; rev < revisions + 2; rev++) {
    const keys = new Set<string>();
    const n = 1 + rng.int(3);
    while (keys.size < n) keys.add(`k${rng.int(6)}`);
    for (const key of keys) out.push(rng.next() < 0.8 ? { type: 'PUT', key, value: `v${rev}`, revision: rev } : { type: 'DELETE', key, revision: rev });
  }
  return out;
}

/** A correct watch: every matching event from `start`, whole revisions per response, progress notifies between. */
function correctStream(rng: SeededRng, history: readonly WatchEventRecord[], client: number): WatchStreamRecord {
  const lo = rng.int(6);
  const request = { key: `k${lo}`, rangeEnd: rng.next() < 0.3 ? '\0' : `k${lo + 1 + rng.int(6 - lo)}`, startRevision: 2 + rng.int(20) };
  const events = history.filter((e) => e.revision >= request.startRevision && matchesRequest(request, e));
  const responses: WatchResponseRecord[] = [];
  let i = 0;
  while (i < events.length) {
    const revs = 1 + rng.int(3);
    const batch: WatchEventRecord[] = [];
    let seenRevs = 0;
    while (i < events.length && (batch.length === 0 || batch[batch.length - 1]!.revision === events[i]!.revision || seenRevs < revs)) {
      if (batch.length === 0 || batch[batch.length - 1]!.revision !== events[i]!.revision) seenRevs++;
      if (seenRevs > revs) break;
      batch.push(events[i++]!);
    }
    const last = batch[batch.length - 1]!.revision;
    responses.push({ events: batch, headerRevision: last });
    const nextRev = events[i]?.revision ?? Infinity;
    if (rng.next() < 0.3) responses.push({ events: [], headerRevision: Math.min(nextRev - 1, last + rng.int(3)), progressNotify: true });
  }
  return { client, request, responses };
}

type Mutation = { name: WatchGuarantee; apply: (s: WatchStreamRecord, rng: SeededRng) => WatchStreamRecord | undefined };

const eventsOf = (s: WatchStreamRecord): WatchEventRecord[] => s.responses.flatMap((r) => r.events);
const asOneEventPerResponse = (s: WatchStreamRecord, events: WatchEventRecord[]): WatchStreamRecord => ({
  ...s,
  responses: events.map((e) => ({ events: [e], headerRevision: e.revision })),
});
const distinctRevisions = (events: WatchEventRecord[]): number[] => [...new Set(events.map((e) => e.revision))];

const mutations: Mutation[] = [
  {
    name: 'reliable', // drop every event of one inner revision
    apply: (s, rng) => {
      const events = eventsOf(s);
      const revs = distinctRevisions(events);
      if (revs.length < 3) return undefined;
      const gone = revs[1 + rng.int(revs.length - 2)];
      return { ...s, responses: s.responses.map((r) => ({ ...r, events: r.events.filter((e) => e.revision !== gone) })) };
    },
  },
  {
    name: 'unique',
    apply: (s, rng) => {
      const events = eventsOf(s);
      if (events.length === 0) return undefined;
      const dup = events[rng.int(events.length)]!;
      return { ...s, responses: [...s.responses, { events: [dup], headerRevision: dup.revision }] };
    },
  },
  {
    name: 'ordered', // swap two revisions' events
    apply: (s) => {
      const events = eventsOf(s);
      const revs = distinctRevisions(events);
      if (revs.length < 2) return undefined;
      const [a, b] = [revs[0], revs[1]];
      const reordered = [...events.filter((e) => e.revision === b), ...events.filter((e) => e.revision === a), ...events.filter((e) => e.revision !== a && e.revision !== b)];
      return { ...s, responses: [{ events: reordered, headerRevision: Math.max(...events.map((e) => e.revision)) }] };
    },
  },
  {
    name: 'atomic', // one event per response splits any multi-event revision
    apply: (s) => {
      const events = eventsOf(s);
      if (events.length === distinctRevisions(events).length) return undefined;
      return asOneEventPerResponse(s, events);
    },
  },
  {
    name: 'bookmarkable', // a progress notification that claims the last revision before it is delivered
    apply: (s) => {
      const events = eventsOf(s);
      if (events.length < 2) return undefined;
      const last = events[events.length - 1]!.revision;
      return { ...s, responses: [...s.responses.slice(0, 1), { events: [], headerRevision: last, progressNotify: true }, ...s.responses.slice(1)] };
    },
  },
  {
    name: 'resumable', // skip the first revision delivered
    apply: (s) => {
      const events = eventsOf(s);
      const revs = distinctRevisions(events);
      if (revs.length < 2) return undefined;
      return { ...s, responses: s.responses.map((r) => ({ ...r, events: r.events.filter((e) => e.revision !== revs[0]) })) };
    },
  },
];

describe('randomized watch streams', () => {
  it('accepts correct streams and detects every kind of corruption', () => {
    const detected = new Map<WatchGuarantee, number>();
    for (let seed = 1; seed <= Number(process.env['CHECKER_SEEDS'] ?? 90); seed++) {
      const rng = new SeededRng(seed);
      const history = randomHistory(rng, 40);
      const streams = Array.from({ length: 4 }, (_, c) => correctStream(rng, history, c));
      const clean = validateWatches(streams, { history });
      expect(clean.violations, `seed ${seed}\n${clean.text}`).toEqual([]);
      const mutation = mutations[seed % mutations.length]!;
      const victim = mutation.apply(streams[0]!, rng);
      if (victim === undefined) continue;
      const broken = validateWatches([victim, ...streams.slice(1)], { history });
      const found = broken.violations.filter((v) => v.stream === 0).map((v) => v.guarantee);
      expect(found, `seed ${seed}: ${mutation.name}\n${broken.text}`).toContain(mutation.name);
      expect(broken.violations.every((v) => v.stream === 0), broken.text).toBe(true);
      detected.set(mutation.name, (detected.get(mutation.name) ?? 0) + 1);
    }
    expect([...detected.keys()].sort()).toEqual(mutations.map((m) => m.name).sort());
  });
});
