import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Base64Error, decodeBase64, encodeBase64 } from '../../src/api/json/base64.js';

function errorOffset(text: string): number {
  try {
    decodeBase64(text);
  } catch (err) {
    if (err instanceof Base64Error) return err.offset;
    throw err;
  }
  return -1;
}

describe('base64 as Go StdEncoding', () => {
  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes);
      }),
    );
  });

  it('decodes padded standard base64 and skips CR/LF', () => {
    expect(Buffer.from(decodeBase64('Zm9v')).toString()).toBe('foo');
    expect(Buffer.from(decodeBase64('YS8=')).toString()).toBe('a/');
    expect(Buffer.from(decodeBase64('Yg==')).toString()).toBe('b');
    expect(Buffer.from(decodeBase64('Zm9v\r\nYmFy')).toString()).toBe('foobar');
    expect(decodeBase64('')).toEqual(new Uint8Array(0));
    expect(decodeBase64('AA==')).toEqual(new Uint8Array([0]));
  });

  it.each([
    ['Zm9', 0], // unpadded final quantum: error at its start
    ['Zm9vYg', 4],
    ['Zm9v-_', 4], // URL-safe alphabet
    ['Zm9v_w==', 4],
    ['Z===', 1], // padding after one character
    ['Zg=', 3], // "==" expected, input ends
    ['Zg=x', 2], // "==" expected, other character found
    ['Zg==Zg==', 4], // data after padding
    ['Zm 9v', 2],
    ['Zm9v\u00e9', 4],
  ])('%j fails at byte %i', (text, offset) => {
    expect(errorOffset(text)).toBe(offset);
    expect(() => decodeBase64(text)).toThrow(`illegal base64 data at input byte ${offset}`);
  });
});
