/**
 * Go's formatting verbs as etcdctl uses them, so cairn prints the same text: `%q` quoting,
 * `%016x` / `%x` IDs, go-humanize's byte sizes and Go's duration strings.
 */

/** `%x` of an unsigned ID. */
export const hexId = (id: number | bigint): string => id.toString(16);
/** `%016x`: lease IDs. */
export const hexId16 = (id: number | bigint): string => id.toString(16).padStart(16, '0');
/** `%16x`: member IDs in member add/remove/update/promote (space padded). */
export const hexIdPadded = (id: number | bigint): string => id.toString(16).padStart(16, ' ');

const ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 34: '\\"', 92: '\\\\' };
const hex2 = (b: number): string => `\\x${b.toString(16).padStart(2, '0')}`;

/** Length of the valid UTF-8 sequence starting at `i`, or 0 if there is none. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i] as number;
  const need = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 0;
  if (need === 0 || b > 0xf4 || i + need > bytes.length) return 0;
  for (let k = 1; k < need; k++) if (((bytes[i + k] as number) & 0xc0) !== 0x80) return 0;
  return need;
}

/** Go's `%q` of a byte string: printable runes as is, escapes for the rest. */
export function goQuote(bytes: Uint8Array): string {
  let out = '"';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      out += ESCAPES[b] ?? (b < 0x20 || b === 0x7f ? hex2(b) : String.fromCharCode(b));
      i++;
      continue;
    }
    const n = utf8SequenceLength(bytes, i);
    if (n === 0) {
      out += hex2(b);
      i++;
      continue;
    }
    const ch = new TextDecoder().decode(bytes.subarray(i, i + n));
    const cp = ch.codePointAt(0) ?? 0;
    out += /\p{C}|\p{Z}/u.test(ch) && cp !== 0x20 ? `\\u${cp.toString(16).padStart(4, '0')}` : ch;
    i += n;
  }
  return `${out}"`;
}

export const goQuoteString = (s: string): string => goQuote(new TextEncoder().encode(s));

/** etcdctl's `--hex` form of bytes: `\x` before every byte's two hex digits. */
export function hexEscaped(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += hex2(b);
  return out;
}

/** go-humanize's `Bytes` (SI units): `25 kB`, `1.2 MB`, `7 B`. */
export function humanizeBytes(size: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  if (size < 10) return `${size} B`;
  const e = Math.floor(Math.log(size) / Math.log(1000));
  const val = Math.floor((size / 1000 ** e) * 10 + 0.5) / 10;
  // Go's %.0f rounds a tie to even (20.5 → 20); toFixed would round it up.
  const whole = val - Math.floor(val) === 0.5 ? 2 * Math.round(val / 2) : Math.round(val);
  return `${val < 10 ? val.toFixed(1) : String(whole)} ${units[e]}`;
}

/** Go's `time.Duration.String()` for a duration in milliseconds: `1.234567ms`, `512µs`, `2.5s`. */
export function goDuration(ms: number): string {
  const ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  const trim = (x: number, digits: number) => x.toFixed(digits).replace(/\.?0+$/, '');
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3, 3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6, 6)}ms`;
  let s = ns / 1e9;
  let out = '';
  if (s >= 3600) {
    out += `${Math.floor(s / 3600)}h`;
    s %= 3600;
  }
  if (out !== '' || s >= 60) {
    out += `${Math.floor(s / 60)}m`;
    s %= 60;
  }
  return `${out}${trim(s, 9)}s`;
}

/** Go's `%v` of a []string: `[a b c]`. */
export const goList = (items: readonly string[]): string => `[${items.join(' ')}]`;
