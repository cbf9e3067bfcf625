import { describe, expect, it } from 'vitest';
import { JsonStreamReader } from '../../src/api/json.js';
import { JsonNumber } from '../../src/api/json/parse.js';
import { isKvError } from '../../src/util/errors.js';

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

describe('streamed JSON messages', () => {
  it('yields each value when it completes, across chunk boundaries', () => {
    const r = new JsonStreamReader(1000);
    expect(r.push(enc('{"ID":"1"} {"I'))).toEqual([new Map([['ID', '1']])]);
    expect(r.push(enc('D":2}{"ID"'))).toEqual([new Map([['ID', new JsonNumber('2')]])]);
    expect(r.push(enc(':3}\n'))).toEqual([new Map([['ID', new JsonNumber('3')]])]);
    expect(r.end()).toEqual([]);
  });

  it('joins a multi-byte character split between chunks', () => {
    const r = new JsonStreamReader(1000);
    const bytes = enc('{"n":"é"}');
    const split = bytes.indexOf(0xc3) + 1;
    expect(r.push(bytes.subarray(0, split))).toEqual([]);
    expect(r.push(bytes.subarray(split))).toEqual([new Map([['n', 'é']])]);
  });

  it('fails on malformed input and on a value cut off by the end of the body', () => {
    expect(() => new JsonStreamReader(1000).push(enc(' {x'))).toThrow("invalid character 'x' looking for beginning of object key string");
    const r = new JsonStreamReader(1000);
    expect(r.push(enc('{"a":'))).toEqual([]);
    expect(() => r.end()).toThrow('unexpected EOF');
  });

  it('hands out the good values before a malformed one, then fails', () => {
    const r = new JsonStreamReader(1000);
    expect(r.push(enc('{"a":1} {oops} {"b":2}'))).toEqual([new Map([['a', new JsonNumber('1')]])]);
    expect(() => r.push(enc('{"c":3}'))).toThrow("invalid character 'o' looking for beginning of object key string");
    expect(() => r.end()).toThrow("invalid character 'o'");
  });

  it('bounds a message that never completes', () => {
    const r = new JsonStreamReader(64);
    let err: unknown;
    try {
      r.push(enc(`{"key":"${'A'.repeat(100)}`));
    } catch (e) {
      err = e;
    }
    expect(isKvError(err, 'GrpcMessageTooLarge')).toBe(true);
    expect((err as Error).message).toMatch(/^grpc: received message larger than max \(\d+ vs\. 64\)$/);
  });
});
