import { describe, expect, it } from 'vitest';
import { crc32c as nativeCrc32c } from '@node-rs/crc32';
import { crc32c, crc32cJs } from '../../src/util/crc.js';
import { SeededRng } from '../../src/util/rng.js';

describe('crc32c', () => {
  it('gives the standard check value (RFC 3720: "123456789" -> e3069283)', () => {
    const check = new TextEncoder().encode('123456789');
    expect(crc32cJs(check)).toBe(0xe3069283);
    expect(crc32c(check)).toBe(0xe3069283);
  });

  it('the JavaScript path equals the native one at every length and chained', () => {
    const rng = new SeededRng(7);
    for (let len = 0; len < 200; len++) {
      const data = new Uint8Array(len).map(() => rng.int(256));
      const seed = rng.int(2 ** 31) * 2 + rng.int(2);
      const native = nativeCrc32c(Buffer.from(data), seed) >>> 0;
      expect(crc32cJs(data, seed)).toBe(native);
      expect(crc32c(data, seed)).toBe(native);
      // A short key chained into a longer value, as every stored record is checked.
      expect(crc32c(data, crc32c(data.subarray(0, len >> 2)))).toBe(nativeCrc32c(Buffer.from(data), nativeCrc32c(Buffer.from(data.subarray(0, len >> 2)))) >>> 0);
    }
  });

  it('reads a view at its offset, not its buffer from the start', () => {
    const whole = new Uint8Array(40).map((_, i) => i * 7);
    const view = whole.subarray(5, 30);
    expect(crc32cJs(view)).toBe(nativeCrc32c(Buffer.from(view)) >>> 0);
  });
});
