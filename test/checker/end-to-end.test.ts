/**
 * The recorders and checkers driven the way the simulator will drive them: concurrent clients
 * on a ManualClock against an in-memory store, with timeouts, watchers and injected bugs.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { SeededRng } from '../../src/util/rng.js';
import { checkKvHistory } from './check-kv.js';
import { randomKvInput, SequentialKvStore } from './generate.js';
import { HistoryRecorder, historyFromJSON, historyToJSON, type Operation } from './history.js';
import type { KvInput, KvOutput } from './kv-model.js';
import { checkReadsAgainstHistory } from './reads-vs-history.js';
import { validateWatches } from './watch-guarantees.js';
import { WatchRecorder } from './watch-recorder.js';

interface ToyOptions {
  seed: number;
  /** Reads are served by a replica this many writes behind (a stale-read bug when > 0). */
  replicaLag?: number;
  /** Watcher 0 silently skips one event (a reliability bug). */
  dropWatchEvent?: boolean;
}

function runToyCluster(opts: ToyOptions): { ops: Array<Operation<KvInput, KvOutput>>; store: SequentialKvStore; watches: WatchRecorder } {
  const clock = new ManualClock();
  const rng = new SeededRng(opts.seed);
  const store = new SequentialKvStore();
  const replica = new SequentialKvStore();
  /** Writes the replica has not applied yet. */
  const writes: KvInput[] = [];
  const rec = new HistoryRecorder<KvInput, KvOutput>(clock);
  const watches = new WatchRecorder();
  const lag = opts.replicaLag ?? 0;
  const apply = (input: KvInput): KvOutput => {
    const read = input.op === 'get' || input.op === 'range';
    if (read && lag > 0) return replica.apply(input);
    const out = store.apply(input);
    if (!read) writes.push(input);
    while (writes.length > lag) replica.apply(writes.shift() as KvInput);
    return out;
  };
  let running = 0;
  const client = (c: number, n: number): void => {
    if (n === 40) return void running--;
    const input = randomKvInput(rng, store, `k${rng.int(4)}`, `c${c}-${n}`);
    const id = rec.invoke(c, input);
    if (rng.next() < 0.08) {
      // Timeout: the request may or may not be applied, the client never hears back.
      if (rng.next() < 0.5) clock.setTimeout(() => void apply(input), 1 + rng.int(30));
      clock.setTimeout(() => (rec.fail(id, new Error('deadline exceeded'), { outcome: 'unknown' }), client(c, n + 1)), 50);
      return;
    }
    clock.setTimeout(() => {
      const out = apply(input);
      clock.setTimeout(() => (rec.ok(id, out), client(c, n + 1)), 1 + rng.int(20));
    }, 1 + rng.int(20));
  };
  for (let c = 0; c < 5; c++, running++) client(c, 0);

  const watcher = (w: number, start: number): void => {
    const id = watches.open(100 + w, { key: 'k', rangeEnd: 'l', startRevision: start });
    let cursor = store.events.findIndex((e) => e.revision >= start);
    let dropped = false;
    clock.setInterval(() => {
      if (cursor < 0) cursor = store.events.findIndex((e) => e.revision >= start);
      if (cursor < 0 || cursor >= store.events.length) {
        if (rng.next() < 0.3) watches.response(id, { events: [], headerRevision: store.revision, progressNotify: true });
        return;
      }
      let batch = store.events.slice(cursor);
      cursor = store.events.length;
      if (w === 0 && opts.dropWatchEvent === true && !dropped && batch.length > 2) {
        batch = batch.filter((e) => e.revision !== batch[1]?.revision);
        dropped = true;
      }
      watches.response(id, { events: batch, headerRevision: store.revision });
    }, 15);
  };
  watcher(0, 2);
  watcher(1, 20);

  for (let i = 0; running > 0 && i < 10_000; i++) clock.advance(10);
  clock.advance(100); // let watchers catch up with the last writes
  expect(running).toBe(0);
  return { ops: rec.operations(), store, watches };
}

describe('checkers on a simulated run', () => {
  it('a correct store passes every check', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const { ops, store, watches } = runToyCluster({ seed });
      expect(ops).toHaveLength(200);
      const report = checkKvHistory(ops);
      expect(report.result, `seed ${seed}\n${report.text}`).toBe('ok');
      expect(checkReadsAgainstHistory(ops, store.events)).toEqual([]);
      const w = validateWatches(watches.streams(), { history: store.events });
      expect(w.violations, w.text).toEqual([]);
      expect(watches.streams().every((s) => s.responses.length > 0)).toBe(true);
    }
  });

  it('stale reads from a lagging replica fail linearizability but match the history at their revision', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const { ops, store } = runToyCluster({ seed, replicaLag: 3 });
      const report = checkKvHistory(ops);
      expect(report.result, `seed ${seed}`).toBe('illegal');
      // Both halves see it: the per-key search (a get cannot be placed) and real-time revisions.
      expect(report.linearizability.result, report.text).toBe('illegal');
      expect(report.text).toMatch(/cannot place: .*get\(/);
      expect(report.revisions.map((v) => v.kind)).toContain('revision-went-back');
      expect(checkReadsAgainstHistory(ops, store.events)).toEqual([]);
    }
  });

  it('a read claiming a value the history never held at its revision is reported', () => {
    const { ops, store } = runToyCluster({ seed: 3 });
    const read = ops.find((op) => op.output?.op === 'get' && op.output.value !== undefined) as Operation<KvInput, KvOutput>;
    const forged = ops.map((op) => (op === read && op.output?.op === 'get' ? { ...op, output: { ...op.output, value: 'forged' } } : op));
    const v = checkReadsAgainstHistory(forged, store.events);
    expect(v.map((x) => x.operation.id)).toEqual([read.id]);
    expect(v[0]?.detail).toContain('the key held');
  });

  it('a watcher that drops an event breaks reliability', () => {
    const { store, watches } = runToyCluster({ seed: 4, dropWatchEvent: true });
    const w = validateWatches(watches.streams(), { history: store.events });
    expect(w.violations.map((v) => [v.guarantee, v.stream])).toContainEqual(['reliable', 0]);
    expect(w.violations.every((v) => v.stream === 0)).toBe(true);
  });

  it('a failing history survives a JSON round trip with the same verdict', () => {
    const { ops } = runToyCluster({ seed: 2, replicaLag: 2 });
    const back = historyFromJSON<KvInput, KvOutput>(historyToJSON(ops));
    expect(back).toEqual(ops);
    expect(checkKvHistory(back).result).toBe(checkKvHistory(ops).result);
  });
});
