/**
 * Metrics: small live charts computed from the member's own /metrics every 2 s: puts/s and
 * reads/s (rates of etcd_mvcc_put_total / etcd_mvcc_range_total), WAL fsync p99 and peer round
 * trip p99 (histogram_quantile over the observations between two scrapes), and apply lag
 * (proposals committed minus applied). The page keeps two minutes in memory, nothing more.
 */
import { describe, getText } from '../api.js';
import { lineChart } from '../chart.js';
import { h, message, render } from '../dom.js';
import { poll, type Page } from '../page.js';
import { buckets, parseMetrics, quantileBetween, total, type Sample } from '../prom.js';

const INTERVAL_MS = 2000;
const CAPACITY = 60;

interface Scrape {
  readonly at: number;
  readonly samples: readonly Sample[];
}

interface Series {
  readonly title: string;
  readonly format: (v: number) => string;
  readonly compute: (before: Scrape, now: Scrape) => number | undefined;
}

const perSecond = (name: string) => (before: Scrape, now: Scrape): number | undefined => {
  const a = total(before.samples, name);
  const b = total(now.samples, name);
  return a === undefined || b === undefined ? undefined : Math.max(0, b - a) / ((now.at - before.at) / 1000);
};
const p99 = (histogram: string) => (before: Scrape, now: Scrape): number | undefined =>
  quantileBetween(0.99, buckets(before.samples, histogram), buckets(now.samples, histogram));
const ms = (v: number): string => `${(v * 1000).toFixed(v < 0.01 ? 2 : 1)} ms`;
const rate = (v: number): string => `${v.toFixed(v < 10 ? 1 : 0)}/s`;

export const SERIES: readonly Series[] = [
  { title: 'Puts per second', format: rate, compute: perSecond('etcd_mvcc_put_total') },
  { title: 'Reads per second', format: rate, compute: perSecond('etcd_mvcc_range_total') },
  { title: 'WAL fsync p99', format: ms, compute: p99('etcd_disk_wal_fsync_duration_seconds') },
  {
    title: 'Apply lag (entries)',
    format: (v) => v.toFixed(0),
    compute: (_before, now) => {
      const c = total(now.samples, 'etcd_server_proposals_committed_total');
      const a = total(now.samples, 'etcd_server_proposals_applied_total');
      return c === undefined || a === undefined ? undefined : Math.max(0, c - a);
    },
  },
  { title: 'Peer round trip p99', format: ms, compute: p99('etcd_network_peer_round_trip_time_seconds') },
];

export const metricsPage: Page = {
  id: 'metrics',
  title: 'Metrics',
  mount(el) {
    const grid = h('div', { class: 'charts' }, 'Collecting…');
    const values: Array<Array<number | undefined>> = SERIES.map(() => []);
    let previous: Scrape | undefined;
    render(el, h('h1', null, 'Metrics'), h('p', null, `This member's /metrics, sampled every ${INTERVAL_MS / 1000} s; the last ${(CAPACITY * INTERVAL_MS) / 60000} minutes.`), grid);
    return poll(INTERVAL_MS, async () => {
      try {
        const now: Scrape = { at: performance.now(), samples: parseMetrics(await getText('/metrics')) };
        if (previous !== undefined) {
          const before = previous;
          SERIES.forEach((s, i) => {
            const list = values[i] as Array<number | undefined>;
            list.push(s.compute(before, now));
            if (list.length > CAPACITY) list.shift();
          });
          render(grid, ...SERIES.map((s, i) => lineChart(s.title, values[i] as Array<number | undefined>, s.format, CAPACITY)));
        }
        previous = now;
      } catch (err) {
        render(grid, message('error', `Cannot read /metrics: ${describe(err)}`));
      }
    });
  },
};
