import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { talliedCounter, talliedHistogram } from '../../src/util/metric-tally.js';

const value = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('metric tallies', () => {
  it('show on every read what direct prom-client calls would have', async () => {
    const registry = new Registry();
    const c = talliedCounter(registry, 'x_total', 'x', ['m']);
    const a = c.series({ m: 'a' });
    for (let i = 0; i < 5; i++) a.inc();
    expect(value(await registry.metrics(), 'x_total{m="a"}')).toBe(5);
    a.inc();
    c.series({ m: 'b' }).inc();
    const text = await registry.metrics();
    expect(value(text, 'x_total{m="a"}')).toBe(6);
    expect(value(text, 'x_total{m="b"}')).toBe(1);
  });

  it('share one metric per registry and name, whatever the label order', async () => {
    const registry = new Registry();
    talliedCounter(registry, 'y_total', 'y', ['p', 'q']).series({ p: '1', q: '2' }).inc();
    talliedCounter(registry, 'y_total', 'y', ['p', 'q']).series({ q: '2', p: '1' }).inc();
    expect(value(await registry.metrics(), 'y_total{p="1",q="2"}')).toBe(2);
  });

  it('hand a histogram every observation, more than its buffer holds', async () => {
    const registry = new Registry();
    const h = talliedHistogram(registry, 'z_seconds', 'z', ['m'], [0.1, 1]);
    const s = h.series({ m: 'a' });
    for (let i = 0; i < 600; i++) s.observe(i % 2 === 0 ? 0.05 : 0.5);
    const text = await registry.metrics();
    expect(value(text, 'z_seconds_bucket{le="0.1",m="a"}')).toBe(300);
    expect(value(text, 'z_seconds_count{m="a"}')).toBe(600);
  });
});
