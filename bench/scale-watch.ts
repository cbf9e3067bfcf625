/**
 * The watch rows of bench:scale (issue 18), each on a fresh member with the same raw client for
 * etcd and cairn (bench/watch-client.ts), several create requests per stream: `POST /v3/watch`
 * over the v3 JSON gateway, or with `--watch-client grpc` etcd's gRPC Watch service (etcd 3.4's
 * gateway is a proxy in front of its gRPC server, and its JSON costs etcd more than the watch
 * does). Writes go through `/v3/kv/put` and `/v3/kv/txn` either way.
 *
 * - fan-out: W watchers on one key; P puts, one every 1/R s; latency = put sent → the response
 *   line read by this process, for every (watcher, put). Target: p99 under 100 ms at 10,000.
 * - rate: N watchers on a prefix while txns of 100 puts are offered at E events/s for S s; the
 *   slowest watcher's rate (all events over first write → its last event). Target: 10,000/s at 100.
 * - catch-up: H one-key puts spread over K keys, then C watchers each on one key from revision 1:
 *   every watcher walks the whole history. Peak = the member's RSS sampled every 100 ms while
 *   they catch up. Target: under 1 GiB at 1,000 watchers and 100k revisions.
 *
 * Member CPU (user+sys from /proc) is reported with each row: the machine is shared, so CPU
 * time says more than wall time about what each member spends.
 */
import { cpuSeconds, type Kind } from './clusters.js';
import { ok, rssBytes, startScaleMember, waitReady, type ScaleMember } from './scale-member.js';
import { percentile } from './wal-report.js';
import { openWatch, type WatchClientKind, type WatchCreate, type WatchHandle, type WatchView } from './watch-client.js';

export interface WatchBenchOptions {
  readonly client: WatchClientKind;
  readonly streams: number;
  readonly fanoutWatchers: number;
  readonly fanoutPuts: number;
  readonly fanoutRate: number;
  readonly rateWatchers: number;
  readonly rateEvents: number;
  readonly rateSeconds: number;
  readonly history: number;
  readonly historyKeys: number;
  readonly catchupWatchers: number;
}

export const DEFAULT_WATCH_BENCH: WatchBenchOptions = {
  client: 'gateway',
  streams: 100,
  fanoutWatchers: 10_000,
  fanoutPuts: 50,
  fanoutRate: 10,
  rateWatchers: 100,
  rateEvents: 10_000,
  rateSeconds: 10,
  history: 100_000,
  historyKeys: 1_000,
  catchupWatchers: 1_000,
};

/** One measured quantity of a row: its name, how to show it, and whether higher is better. */
export interface WatchMetric {
  readonly name: string;
  readonly value: number;
  readonly show: (v: number) => string;
}

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 2 ** 20;
const ms = (v: number) => `${v.toFixed(1)} ms`;
const secs = (v: number) => `${v.toFixed(2)} s`;

/** Splits `creates` over at most `streams` streams, round robin; `onResponse` gets every response. */
function openStreams(o: WatchBenchOptions, url: string, creates: readonly WatchCreate[], onResponse: (v: WatchView) => void): WatchHandle[] {
  const n = Math.min(o.streams, creates.length);
  const groups: WatchCreate[][] = Array.from({ length: n }, () => []);
  creates.forEach((c, i) => groups[i % n]!.push(c));
  return groups.map((g) => openWatch(o.client, url, g, onResponse));
}

/** This process's CPU over a row: a client near one core would be the bottleneck, not the member. */
function logClientCpu(kind: Kind, from: NodeJS.CpuUsage): void {
  const u = process.cpuUsage(from);
  console.log(`${kind}: bench client CPU ${((u.user + u.system) / 1e6).toFixed(1)} s`);
}

async function until(what: string, timeoutMs: number, done: () => boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function withMember<T>(kind: Kind, nodeArgs: readonly string[], f: (m: ScaleMember) => Promise<T>): Promise<T> {
  const m = await startScaleMember(kind, nodeArgs);
  try {
    await waitReady(m, 60_000);
    return await f(m);
  } finally {
    await m.stop();
  }
}

async function put(m: ScaleMember, key: string, value: string): Promise<number> {
  const r = await ok(`${m.url}/v3/kv/put`, JSON.stringify({ key: b64(key), value }));
  return Number((r['header'] as { revision: string }).revision);
}

export async function fanout(kind: Kind, o: WatchBenchOptions, nodeArgs: readonly string[]): Promise<WatchMetric[]> {
  return withMember(kind, nodeArgs, async (m) => {
    const arrivals = new Map<number, number[]>();
    let created = 0;
    let delivered = 0;
    const creates = Array.from({ length: o.fanoutWatchers }, () => ({ key: 'watch/fanout' }));
    const streams = openStreams(o, m.url, creates, (v) => {
      if (v.created) {
        created++;
        return;
      }
      if (v.events === 0) return;
      delivered += v.events;
      const rev = v.revision;
      let list = arrivals.get(rev);
      if (list === undefined) arrivals.set(rev, (list = []));
      list.push(performance.now());
    });
    try {
      await until(`${o.fanoutWatchers} watchers created`, 120_000, () => created >= o.fanoutWatchers);
      const value = b64(Buffer.alloc(64, 7));
      const sent = new Map<number, number>();
      const acks: number[] = [];
      const cpu0 = cpuSeconds(m.pid());
      const client0 = process.cpuUsage();
      const t0 = performance.now();
      for (let p = 0; p < o.fanoutPuts; p++) {
        await sleep(t0 + (p * 1000) / o.fanoutRate - performance.now());
        const at = performance.now();
        sent.set(await put(m, 'watch/fanout', value), at);
        acks.push(performance.now() - at);
      }
      const expected = o.fanoutWatchers * o.fanoutPuts;
      await until('every put delivered to every watcher', 60_000, () => delivered >= expected).catch((e: Error) => console.error(`${kind}: ${e.message}`));
      const cpu = cpuSeconds(m.pid()) - cpu0;
      logClientCpu(kind, client0);
      acks.sort((a, b) => a - b);
      const latencies: number[] = [];
      for (const [rev, at] of sent) for (const t of arrivals.get(rev) ?? []) latencies.push(t - at);
      // The fan-out's own share: from the first watcher to receive a put to the last (commit excluded).
      const spreads = [...sent.keys()].map((rev) => {
        const ts = arrivals.get(rev) ?? [];
        return ts.length === 0 ? NaN : Math.max(...ts) - Math.min(...ts);
      }).sort((a, b) => a - b);
      latencies.sort((a, b) => a - b);
      const name = `watch fan-out: ${o.fanoutWatchers} watchers on one key (${Math.min(o.streams, o.fanoutWatchers)} ${o.client} streams), ${o.fanoutPuts} puts at ${o.fanoutRate}/s`;
      return [
        { name: `${name}: delivered`, value: delivered / expected, show: (v) => `${(v * 100).toFixed(1)} %` },
        { name: `${name}: latency p50`, value: percentile(latencies, 0.5), show: ms },
        { name: `${name}: latency p99 (target < 100 ms)`, value: percentile(latencies, 0.99), show: ms },
        { name: `${name}: latency max`, value: latencies.at(-1) ?? NaN, show: ms },
        { name: `${name}: first to last watcher of a put, p50`, value: percentile(spreads, 0.5), show: ms },
        { name: `${name}: first to last watcher of a put, max`, value: spreads.at(-1) ?? NaN, show: ms },
        { name: `${name}: the put's own latency p50 (sent → answered, commit included)`, value: percentile(acks, 0.5), show: ms },
        { name: `${name}: the put's own latency p99`, value: percentile(acks, 0.99), show: ms },
        { name: `${name}: member CPU per put`, value: (cpu * 1000) / o.fanoutPuts, show: ms },
      ];
    } finally {
      for (const s of streams) s.close();
    }
  });
}

export async function rate(kind: Kind, o: WatchBenchOptions, nodeArgs: readonly string[]): Promise<WatchMetric[]> {
  return withMember(kind, nodeArgs, async (m) => {
    const TXN_PUTS = 100;
    const IN_FLIGHT = 8;
    const txns = Math.ceil((o.rateEvents * o.rateSeconds) / TXN_PUTS);
    const expected = txns * TXN_PUTS;
    const got = new Array<number>(o.rateWatchers).fill(0);
    const doneAt = new Array<number>(o.rateWatchers).fill(NaN);
    let created = 0;
    // One stream per watcher (up to --watch-streams), so a line's stream tells its watcher.
    const n = Math.min(o.streams, o.rateWatchers);
    const streams = Array.from({ length: n }, (_, s) => {
      const mine = Array.from({ length: Math.ceil((o.rateWatchers - s) / n) }, () => ({ key: 'watch/rate/', rangeEnd: 'watch/rate0' }));
      return openWatch(o.client, m.url, mine, (v) => {
        if (v.created) {
          created++;
          return;
        }
        if (v.events === 0) return;
        // Watchers sharing a stream get identical responses; the watch ID tells them apart.
        const w = s + v.watchId * n;
        got[w]! += v.events;
        if (got[w]! >= expected) doneAt[w] = performance.now();
      });
    });
    try {
      await until(`${o.rateWatchers} watchers created`, 60_000, () => created >= o.rateWatchers);
      const value = b64(Buffer.alloc(64, 9));
      const cpu0 = cpuSeconds(m.pid());
      const client0 = process.cpuUsage();
      const t0 = performance.now();
      let next = 0;
      let lastAck = t0;
      await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
        for (let t = next++; t < txns; t = next++) {
          // Paced to the offered rate; a writer that falls behind sends at once (closed loop).
          await sleep(t0 + (t * TXN_PUTS * 1000) / o.rateEvents - performance.now());
          const success = Array.from({ length: TXN_PUTS }, (_, i) => ({ request_put: { key: b64(`watch/rate/${String(i).padStart(4, '0')}`), value } }));
          await ok(`${m.url}/v3/kv/txn`, JSON.stringify({ success }));
          lastAck = Math.max(lastAck, performance.now());
        }
      }));
      await until('every watcher has every event', 120_000, () => got.every((g) => g >= expected)).catch((e: Error) => console.error(`${kind}: ${e.message}`));
      const cpu = cpuSeconds(m.pid()) - cpu0;
      logClientCpu(kind, client0);
      // A watcher that never got everything is rated on what it got by the end of the wait.
      const end = performance.now();
      const rates = got.map((g, w) => g / (((Number.isNaN(doneAt[w]!) ? end : doneAt[w]!) - t0) / 1000));
      const slowestRate = Math.min(...rates);
      const slowest = Math.max(...doneAt.map((d) => (Number.isNaN(d) ? end : d)));
      const name = `watch rate: ${o.rateWatchers} watchers on a prefix (${o.client}), ${o.rateEvents} events/s offered for ${o.rateSeconds} s (txns of ${TXN_PUTS})`;
      return [
        { name: `${name}: written (events/s)`, value: expected / ((lastAck - t0) / 1000), show: (v) => v.toFixed(0) },
        { name: `${name}: slowest watcher (events/s, target 10,000)`, value: slowestRate, show: (v) => v.toFixed(0) },
        { name: `${name}: events the slowest watcher got`, value: Math.min(...got) / expected, show: (v) => `${(v * 100).toFixed(1)} %` },
        { name: `${name}: last watcher done, after the last write`, value: (slowest - lastAck) / 1000, show: secs },
        { name: `${name}: member CPU`, value: cpu, show: secs },
      ];
    } finally {
      for (const s of streams) s.close();
    }
  });
}

export async function catchUp(kind: Kind, o: WatchBenchOptions, nodeArgs: readonly string[]): Promise<WatchMetric[]> {
  return withMember(kind, nodeArgs, async (m) => {
    const value = b64(Buffer.alloc(256, 3));
    const keyOf = (i: number) => `watch/hist/${String(i % o.historyKeys).padStart(6, '0')}`;
    let next = 0;
    const tLoad = performance.now();
    // One revision per put, sixteen writers, as the chaos workload writes.
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let i = next++; i < o.history; i = next++) await put(m, keyOf(i), value);
    }));
    console.log(`${kind}: ${o.history} revisions written in ${((performance.now() - tLoad) / 1000).toFixed(1)} s`);
    await sleep(1000);
    const baseline = rssBytes(m.pid());
    const perKey = (k: number) => Math.floor(o.history / o.historyKeys) + (k < o.history % o.historyKeys ? 1 : 0);
    let expected = 0;
    for (let w = 0; w < o.catchupWatchers; w++) expected += perKey(w % o.historyKeys);
    let events = 0;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(m.pid()))), 100);
    const cpu0 = cpuSeconds(m.pid());
    const client0 = process.cpuUsage();
    const t0 = performance.now();
    const creates = Array.from({ length: o.catchupWatchers }, (_, w) => ({ key: keyOf(w), startRevision: 1 }));
    const streams = openStreams(o, m.url, creates, (v) => (events += v.events));
    try {
      await until('every watcher caught up', 600_000, () => events >= expected).catch((e: Error) => console.error(`${kind}: ${e.message} (${events} of ${expected} events)`));
      const seconds = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds(m.pid()) - cpu0;
      logClientCpu(kind, client0);
      peak = Math.max(peak, rssBytes(m.pid()));
      const name = `watch catch-up: ${o.catchupWatchers} watchers (${o.client}) from revision 1 over ${o.history} revisions (${o.historyKeys} keys, one each)`;
      return [
        { name: `${name}: time until all caught up`, value: seconds, show: secs },
        { name: `${name}: RSS before`, value: baseline, show: (v) => `${(v / MiB).toFixed(0)} MiB` },
        { name: `${name}: peak RSS (target < 1 GiB)`, value: peak, show: (v) => `${(v / MiB).toFixed(0)} MiB` },
        { name: `${name}: member CPU`, value: cpu, show: secs },
      ];
    } finally {
      clearInterval(sampler);
      for (const s of streams) s.close();
    }
  });
}

/** The rows by name, in the order bench:scale runs them (each for etcd, then cairn, interleaved). */
export const WATCH_ROWS = { fanout, rate, catchup: catchUp } as const;
export type WatchRowName = keyof typeof WATCH_ROWS;
