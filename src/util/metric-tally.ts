/**
 * Per-request counters and latency histograms that cost a field increment on the hot path.
 * prom-client's labelled series hash their label object on every `inc`/`observe`, even through
 * `labels()` (its bound child re-enters `inc(labels)`): ~4 µs per call, several calls per
 * request, and one per message sent to each of thousands of watchers. A tally holds the counts
 * for one label set in plain numbers and hands them to prom-client when the registry is read
 * (its `collect` hook), so /metrics shows exactly what direct calls would have.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

/** Observations held per series before they go to prom-client anyway (bounds the buffer). */
const MAX_PENDING_OBSERVATIONS = 512;

export interface CounterTally {
  inc(): void;
}

export interface HistogramTally {
  observe(value: number): void;
}

type Labels = Readonly<Record<string, string>>;

class CounterSeries implements CounterTally {
  pending = 0;
  constructor(readonly labels: Labels) {}
  inc(): void {
    this.pending++;
  }
}

class HistogramSeries implements HistogramTally {
  private readonly values = new Float64Array(MAX_PENDING_OBSERVATIONS);
  private count = 0;
  constructor(
    readonly labels: Labels,
    private readonly target: Histogram<string>,
  ) {}

  observe(value: number): void {
    this.values[this.count++] = value;
    if (this.count === MAX_PENDING_OBSERVATIONS) this.flush();
  }

  flush(): void {
    for (let i = 0; i < this.count; i++) this.target.observe(this.labels, this.values[i] as number);
    this.count = 0;
  }
}

/** One tallied metric per registry and name: the gateway and gRPC count into the same series. */
const shared = new WeakMap<Registry, Map<string, TalliedCounter | TalliedHistogram>>();

function once<T extends TalliedCounter | TalliedHistogram>(registry: Registry, name: string, make: () => T): T {
  let byName = shared.get(registry);
  if (byName === undefined) {
    byName = new Map();
    shared.set(registry, byName);
  }
  let m = byName.get(name);
  if (m === undefined) {
    m = make();
    byName.set(name, m);
  }
  return m as T;
}

export function talliedCounter(registry: Registry, name: string, help: string, labelNames: readonly string[]): TalliedCounter {
  return once(registry, name, () => new TalliedCounter(registry, name, help, labelNames));
}

export function talliedHistogram(registry: Registry, name: string, help: string, labelNames: readonly string[], buckets: number[]): TalliedHistogram {
  return once(registry, name, () => new TalliedHistogram(registry, name, help, labelNames, buckets));
}

/** A prom-client Counter whose series are tallies; `series(labels)` once per label set, then `inc()`. */
class TalliedCounter {
  private readonly all = new Map<string, CounterSeries>();
  readonly metric: Counter<string>;

  constructor(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
    const all = this.all;
    this.metric = new Counter({
      name, help, labelNames, registers: [registry],
      collect() {
        for (const s of all.values()) {
          if (s.pending === 0) continue;
          this.inc(s.labels, s.pending);
          s.pending = 0;
        }
      },
    });
  }

  /** The tally for one label set; keep it, and call `inc()` on it. */
  series(labels: Labels): CounterTally {
    const key = labelKey(labels);
    let s = this.all.get(key);
    if (s === undefined) {
      s = new CounterSeries(labels);
      this.all.set(key, s);
    }
    return s;
  }
}

/** A prom-client Histogram whose series buffer observations until read (or 512 are held). */
class TalliedHistogram {
  private readonly all = new Map<string, HistogramSeries>();
  readonly metric: Histogram<string>;

  constructor(registry: Registry, name: string, help: string, labelNames: readonly string[], buckets: number[]) {
    const all = this.all;
    this.metric = new Histogram({
      name, help, labelNames, buckets, registers: [registry],
      collect() {
        for (const s of all.values()) s.flush();
      },
    });
  }

  series(labels: Labels): HistogramTally {
    const key = labelKey(labels);
    let s = this.all.get(key);
    if (s === undefined) {
      s = new HistogramSeries(labels, this.metric);
      this.all.set(key, s);
    }
    return s;
  }
}

function labelKey(labels: Labels): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
}
