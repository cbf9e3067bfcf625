/**
 * A JSON reader that behaves like Go's `encoding/json.Decoder`, which etcd's gateway uses:
 * it reads one value and ignores what follows, keeps number literals as text (int64 IDs must not
 * pass through a double), and fails with Go's scanner messages
 * (`invalid character 'b' looking for beginning of object key string`, `unexpected EOF`).
 */

/** A number literal, kept verbatim so 64-bit integers survive. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
/** Objects keep insertion order; a repeated key keeps the last value, as Go's map decoding does. */
export type JsonObject = Map<string, JsonValue>;

export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  /** True when the input ended inside a value: a stream reader waits for more bytes. */
  constructor(message: string, readonly incomplete: boolean) {
    super(message);
  }
}

const CONTROL = /[\u0000-\u001f]/;

/**
 * Nesting limit. Go's encoding/json allows 10,000 levels, but this parser recurses and V8's
 * stack ends near 4,000 (which answered 500 "Maximum call stack size exceeded"). No etcd message
 * nests anywhere near 1,000: a txn level is three JSON levels and `--max-txn-ops` caps a txn at
 * 128 ops, nested ones included. Beyond it the error is Go's, word for word.
 */
export const MAX_JSON_DEPTH = 1_000;

/** Go's `quoteChar`: how the scanner names an offending character. */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const q = JSON.stringify(c);
  return `'${q.slice(1, -1)}'`;
}

export function isWhitespace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

export interface ParsedValue {
  readonly value: JsonValue;
  /** Index just past the value. */
  readonly end: number;
}

/**
 * Reads the JSON value starting at `from` (after whitespace). Returns undefined when only
 * whitespace remains. Throws JsonSyntaxError (with `incomplete` set if the text ran out).
 */
export function parseNextValue(text: string, from = 0): ParsedValue | undefined {
  const p = new Parser(text, from);
  p.skipWhitespace();
  if (p.atEnd()) return undefined;
  const value = p.value(0);
  return { value, end: p.pos };
}

/** Reads the first value of a unary body; whitespace-only text is `undefined` (an empty message). */
export function parseFirstValue(text: string): JsonValue | undefined {
  return parseNextValue(text)?.value;
}

class Parser {
  constructor(readonly text: string, public pos: number) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipWhitespace(): void {
    while (isWhitespace(this.text[this.pos])) this.pos++;
  }

  private eof(): never {
    throw new JsonSyntaxError('unexpected EOF', true);
  }

  private invalid(c: string, context: string): never {
    throw new JsonSyntaxError(`invalid character ${quoteChar(c)} ${context}`, false);
  }

  private peek(): string {
    const c = this.text[this.pos];
    if (c === undefined) this.eof();
    return c;
  }

  /** `depth`: the arrays and objects this value sits in. */
  value(depth: number): JsonValue {
    this.skipWhitespace();
    const c = this.peek();
    // Go's scanner (pushParseState) names the bracket that opens one level too many.
    if ((c === '{' || c === '[') && depth >= MAX_JSON_DEPTH) this.invalid(c, 'exceeded max depth');
    switch (c) {
      case '{': return this.object(depth);
      case '[': return this.array(depth);
      case '"': return this.string();
      case 't': return this.literal('true', true);
      case 'f': return this.literal('false', false);
      case 'n': return this.literal('null', null);
      default:
        if (c === '-' || (c >= '0' && c <= '9')) return this.number();
        return this.invalid(c, 'looking for beginning of value');
    }
  }

  private literal<T extends JsonValue>(word: string, result: T): T {
    for (let i = 0; i < word.length; i++) {
      const c = this.peek();
      if (c !== word[i]) this.invalid(c, `in literal ${word} (expecting ${quoteChar(word[i] as string)})`);
      this.pos++;
    }
    return result;
  }

  private number(): JsonNumber {
    const start = this.pos;
    const digits = (): number => {
      let n = 0;
      while (this.pos < this.text.length && this.text[this.pos]! >= '0' && this.text[this.pos]! <= '9') {
        this.pos++;
        n++;
      }
      return n;
    };
    if (this.text[this.pos] === '-') this.pos++;
    const first = this.peek();
    if (first === '0') this.pos++;
    else if (first >= '1' && first <= '9') digits();
    else this.invalid(first, 'in numeric literal');
    if (this.text[this.pos] === '.') {
      this.pos++;
      const c = this.peek();
      if (digits() === 0) this.invalid(c, 'after decimal point in numeric literal');
    }
    if (this.text[this.pos] === 'e' || this.text[this.pos] === 'E') {
      this.pos++;
      if (this.text[this.pos] === '+' || this.text[this.pos] === '-') this.pos++;
      const c = this.peek();
      if (digits() === 0) this.invalid(c, 'in exponent of numeric literal');
    }
    // A top-level number at the very end is complete for a unary body; a stream reader treats
    // it as complete too (etcd's stream messages are objects, so this never matters there).
    return new JsonNumber(this.text.slice(start, this.pos));
  }

  private string(): string {
    this.pos++; // opening quote
    // Fast path for the common string without escapes (base64 values can be megabytes long).
    const close = this.text.indexOf('"', this.pos);
    if (close >= 0) {
      const run = this.text.slice(this.pos, close);
      if (!run.includes('\\') && !CONTROL.test(run)) {
        this.pos = close + 1;
        return run;
      }
    }
    let out = '';
    let runStart = this.pos;
    for (;;) {
      const c = this.peek();
      if (c === '"') {
        out += this.text.slice(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c === '\\') {
        out += this.text.slice(runStart, this.pos);
        this.pos++;
        out += this.escape();
        runStart = this.pos;
        continue;
      }
      if (c < ' ') this.invalid(c, 'in string literal');
      this.pos++;
    }
  }

  private escape(): string {
    const c = this.peek();
    this.pos++;
    switch (c) {
      case '"': return '"';
      case '\\': return '\\';
      case '/': return '/';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'u': {
        let code = 0;
        for (let i = 0; i < 4; i++) {
          const h = this.peek();
          const v = parseInt(h, 16);
          if (Number.isNaN(v)) this.invalid(h, 'in \\u hexadecimal character escape');
          code = code * 16 + v;
          this.pos++;
        }
        return String.fromCharCode(code);
      }
      default:
        return this.invalid(c, 'in string escape code');
    }
  }

  private array(depth: number): JsonValue[] {
    this.pos++;
    const out: JsonValue[] = [];
    this.skipWhitespace();
    if (this.peek() === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.skipWhitespace();
      const c = this.peek();
      this.pos++;
      if (c === ']') return out;
      if (c !== ',') this.invalid(c, 'after array element');
    }
  }

  private object(depth: number): JsonObject {
    this.pos++;
    const out: JsonObject = new Map();
    this.skipWhitespace();
    if (this.peek() === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      const q = this.peek();
      if (q !== '"') this.invalid(q, 'looking for beginning of object key string');
      const key = this.string();
      this.skipWhitespace();
      const colon = this.peek();
      if (colon !== ':') this.invalid(colon, 'after object key');
      this.pos++;
      out.set(key, this.value(depth + 1));
      this.skipWhitespace();
      const c = this.peek();
      this.pos++;
      if (c === '}') return out;
      if (c !== ',') this.invalid(c, 'after object key:value pair');
    }
  }
}
