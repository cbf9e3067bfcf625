/**
 * Splits a streamed request body into JSON values as they complete: etcd's streaming endpoints
 * take a sequence of concatenated or whitespace-separated JSON objects (etcd-gateway.md §1.5).
 * Bounded: a value that grows past `maxValueChars` without completing is an error.
 *
 * Linear in the bytes fed, however they are chunked (chaos finding F4): a value arriving in many
 * small chunks is not parsed again on each one (a 220 KB watch response in 200-byte chunks cost
 * ~1,000 full parses, and a watch catch-up crawled at ~200 revisions/s). An object or array is
 * parsed once its closing bracket has been seen by a scan that resumes where it stopped; a
 * malformed value is still reported early, by a trial parse each time its text has doubled.
 */
import { KvError } from '../../util/errors.js';
import { isWhitespace, JsonSyntaxError, parseNextValue } from './parse.js';
import type { JsonValue } from './parse.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** The bracket depth of an unfinished object or array, carried from one piece of text to the next. */
class BracketScan {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Length of the value's text at the last trial parse (0: none yet). */
  private triedAt = 0;

  /** Scans `text` from `from`: true once the value's closing bracket has gone by. */
  advance(text: string, from: number): boolean {
    for (let i = from; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
      } else if (c === QUOTE) {
        this.inString = true;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        this.depth++;
      } else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --this.depth === 0) {
        return true;
      }
    }
    return false;
  }

  /** A trial parse of the unfinished value, so that garbage fails now: whenever its text has doubled. */
  trialDue(length: number): boolean {
    if (length < 2 * this.triedAt) return false;
    this.triedAt = length;
    return true;
  }
}

function isContainerStart(c: number): boolean {
  return c === OPEN_BRACE || c === OPEN_BRACKET;
}

export class JsonStreamReader {
  private readonly decoder = new TextDecoder();
  /** Unparsed text: empty, or starting at an unfinished value. */
  private text = '';
  /** Text received after `text` and not yet joined to it (already scanned, when `open` is set). */
  private parts: string[] = [];
  private partsLength = 0;
  /** Set while `text` starts with an unfinished object or array, scanned through `parts`. */
  private open: BracketScan | undefined;
  private ended = false;
  /** A failure found after good values: reported on the next call, so those values come first. */
  private failure: KvError | undefined;

  constructor(private readonly maxValueChars: number) {}

  /** Feeds bytes; returns every value completed by them. Throws KvError on malformed input. */
  push(chunk: Uint8Array): JsonValue[] {
    return this.take(this.decoder.decode(chunk, { stream: true }));
  }

  /** The body ended: returns what is left; a value cut short is `unexpected EOF`. */
  end(): JsonValue[] {
    const rest = this.decoder.decode();
    this.ended = true;
    return this.take(rest);
  }

  private take(piece: string): JsonValue[] {
    if (this.failure !== undefined) throw this.failure;
    this.parts.push(piece);
    this.partsLength += piece.length;
    const open = this.open;
    if (open !== undefined && !this.ended && !open.advance(piece, 0)) {
      // Still unfinished: only the new piece was looked at.
      const length = this.text.length + this.partsLength;
      this.checkSize(length);
      if (!open.trialDue(length)) return [];
    }
    this.text += this.parts.join('');
    this.parts = [];
    this.partsLength = 0;
    return this.drain();
  }

  private drain(): JsonValue[] {
    const out: JsonValue[] = [];
    let pos = 0;
    this.open = undefined;
    for (;;) {
      while (isWhitespace(this.text[pos])) pos++;
      if (pos >= this.text.length) break;
      if (!this.ended && isContainerStart(this.text.charCodeAt(pos))) {
        const scan = new BracketScan();
        if (!scan.advance(this.text, pos)) {
          // Unfinished: wait for its closing bracket (scalars are short and parsed at once).
          this.open = scan;
          if (!scan.trialDue(this.text.length - pos)) break;
        }
      }
      let parsed;
      try {
        parsed = parseNextValue(this.text, pos);
      } catch (err) {
        if (!(err instanceof JsonSyntaxError)) throw err;
        if (err.incomplete && !this.ended) break;
        this.failure = new KvError('InvalidArgument', err.message);
        this.open = undefined;
        if (out.length === 0) throw this.failure;
        this.text = '';
        return out;
      }
      if (parsed === undefined) break;
      out.push(parsed.value);
      pos = parsed.end;
      this.open = undefined;
    }
    this.text = this.text.slice(pos);
    this.checkSize(this.text.length);
    return out;
  }

  private checkSize(length: number): void {
    if (length > this.maxValueChars) {
      throw new KvError('GrpcMessageTooLarge', `grpc: received message larger than max (${length} vs. ${this.maxValueChars})`);
    }
  }
}
