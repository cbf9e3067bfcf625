/** A small line chart as inline SVG: no chart library, a few hundred bytes per chart. */
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 240;
const H = 60;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** `values` oldest first; gaps (undefined) break the line. */
export function lineChart(title: string, values: ReadonlyArray<number | undefined>, format: (v: number) => string, capacity: number): HTMLElement {
  const known = values.filter((v): v is number => v !== undefined);
  const max = Math.max(...known, 0) || 1;
  const current = values[values.length - 1];
  const step = W / Math.max(1, capacity - 1);
  const offset = capacity - values.length;
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === undefined) {
      pen = false;
      return;
    }
    const x = (offset + i) * step;
    const y = H - (v / max) * (H - 4) - 2;
    d += `${pen ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
    pen = true;
  });
  const label = `${title}: now ${current === undefined ? 'no data' : format(current)}, peak ${format(max === 1 && known.length === 0 ? 0 : Math.max(...known, 0))} over the last ${values.length} samples`;
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': label });
  chart.appendChild(svg('path', { d, fill: 'none', stroke: 'currentColor', 'stroke-width': 1.5, 'vector-effect': 'non-scaling-stroke' }));
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', null, h('span', null, title), h('strong', null, current === undefined ? '—' : format(current))),
    chart,
    h('small', null, `max ${format(Math.max(...known, 0))}`),
  );
}
