/**
 * ASCII tables as etcdctl draws them (olekukonko/tablewriter with its defaults): headers
 * upper-cased and centred, cells right-aligned, `+---+` borders around header and body.
 */
const width = (s: string): number => [...s].length;

function center(s: string, w: number): string {
  const gap = w - width(s);
  const left = Math.floor(gap / 2);
  return ' '.repeat(left) + s + ' '.repeat(gap - left);
}

const right = (s: string, w: number): string => ' '.repeat(w - width(s)) + s;

export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const border = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: readonly string[], align: (s: string, w: number) => string) =>
    `|${widths.map((w, i) => ` ${align(cells[i] ?? '', w)} `).join('|')}|`;
  const out = [border, line(header.map((h) => h.toUpperCase()), center), border];
  for (const r of rows) out.push(line(r, right));
  out.push(border);
  return `${out.join('\n')}\n`;
}
