/** etcd's key order and ranges, over the string keys the checkers use. */
import { compareBytes, utf8 } from '../../src/util/bytes.js';

const BEYOND_BMP_ORDER = /[\uD800-\uFFFF]/;

/**
 * etcd orders keys by their bytes. Below U+D800, UTF-16 code-unit order is UTF-8 byte order, so
 * plain string comparison is exact there and we only encode for the rare other keys.
 */
export function compareKeys(a: string, b: string): number {
  if (!BEYOND_BMP_ORDER.test(a) && !BEYOND_BMP_ORDER.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return compareBytes(utf8(a), utf8(b));
}

/** etcd range semantics: no end → the key alone; '\0' → every key ≥ key; else [key, end). */
export function keyInRange(key: string, start: string, end: string | undefined): boolean {
  if (end === undefined || end === '') return key === start;
  if (compareKeys(key, start) < 0) return false;
  return end === '\0' || compareKeys(key, end) < 0;
}
