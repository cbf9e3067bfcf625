import { describe, expect, it } from 'vitest';
import { JsonNumber, JsonSyntaxError, MAX_JSON_DEPTH, parseFirstValue, parseNextValue } from '../../src/api/json/parse.js';

function syntaxError(text: string): JsonSyntaxError {
  try {
    parseFirstValue(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) return err;
    throw err;
  }
  throw new Error(`no error for ${text}`);
}

describe('Go-like JSON reader', () => {
  it('reads objects into maps, keeping number literals as text', () => {
    const v = parseFirstValue('{"ID": 9223372036854775807, "a": [true, false, null, "x\\u00e9\\n"]}');
    expect(v).toBeInstanceOf(Map);
    const m = v as Map<string, unknown>;
    expect(m.get('ID')).toEqual(new JsonNumber('9223372036854775807'));
    expect(m.get('a')).toEqual([true, false, null, 'xé\n']);
  });

  it('treats whitespace-only input as no value (an empty message) and ignores trailing bytes', () => {
    expect(parseFirstValue('  \n\t ')).toBeUndefined();
    expect(parseFirstValue('')).toBeUndefined();
    expect(parseFirstValue('{"key":"Zm9v"} xyz')).toEqual(new Map([['key', 'Zm9v']]));
  });

  it('keeps the last of repeated keys, as Go map decoding does', () => {
    expect(parseFirstValue('{"a":1,"a":2}')).toEqual(new Map([['a', new JsonNumber('2')]]));
  });

  it.each([
    ['{bad', "invalid character 'b' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
    ['[1 2]', "invalid character '2' after array element"],
    ['xyz', "invalid character 'x' looking for beginning of value"],
    ['{"a":tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"a":"\\q"}', "invalid character 'q' in string escape code"],
    ['{"a":"\n"}', "invalid character '\\n' in string literal"],
    ['{"a":-}', "invalid character '}' in numeric literal"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
  ])('%s → %s', (text, message) => {
    const err = syntaxError(text);
    expect(err.message).toBe(message);
    expect(err.incomplete).toBe(false);
  });

  it('reports truncated input as unexpected EOF, marked incomplete', () => {
    for (const text of ['{', '{"key":"Zm9', '{"a":[1,', '{"a":tr']) {
      const err = syntaxError(text);
      expect(err.message).toBe('unexpected EOF');
      expect(err.incomplete).toBe(true);
    }
  });

  it('refuses nesting beyond a fixed depth with Go\'s message instead of overflowing the stack', () => {
    const nested = (open: string, close: string, levels: number) => open.repeat(levels) + close.repeat(levels);
    expect(parseFirstValue(nested('[', ']', MAX_JSON_DEPTH))).toBeInstanceOf(Array);
    expect(syntaxError(nested('[', ']', MAX_JSON_DEPTH + 1)).message).toBe("invalid character '[' exceeded max depth");
    // The 5,000 levels, and past Go's own 10,000 (etcd answers the same text there).
    expect(syntaxError(`{"a":${nested('{"b":', '}', 5_000).replace('{"b":}', '{"b":1}')}}`).message).toBe("invalid character '{' exceeded max depth");
    expect(syntaxError(nested('[', ']', 10_001)).message).toBe("invalid character '[' exceeded max depth");
  });

  it('reads successive values from a position', () => {
    const text = '{"a":1}{"b":2}  {"c":3}';
    const first = parseNextValue(text, 0);
    const second = parseNextValue(text, first!.end);
    const third = parseNextValue(text, second!.end);
    expect([first!.value, second!.value, third!.value]).toEqual([
      new Map([['a', new JsonNumber('1')]]),
      new Map([['b', new JsonNumber('2')]]),
      new Map([['c', new JsonNumber('3')]]),
    ]);
    expect(parseNextValue(text, third!.end)).toBeUndefined();
  });
});
