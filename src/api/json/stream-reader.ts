/**
 * Splits a streamed request body into JSON values as they complete: etcd's streaming endpoints
 * take a sequence of concatenated or whitespace-separated JSON objects (etcd-gateway.md §1.5).
 * Bounded: a value that grows past `maxValueChars` without completing is an error.
 */
import { KvError } from '../../util/errors.js';
import { isWhitespace, JsonSyntaxError, parseNextValue } from './parse.js';
import type { JsonValue } from './parse.js';

export class JsonStreamReader {
  private readonly decoder = new TextDecoder();
  private text = '';
  private ended = false;
  /** A failure found after good values: reported on the next call, so those values come first. */
  private failure: KvError | undefined;

  constructor(private readonly maxValueChars: number) {}

  /** Feeds bytes; returns every value completed by them. Throws KvError on malformed input. */
  push(chunk: Uint8Array): JsonValue[] {
    this.text += this.decoder.decode(chunk, { stream: true });
    return this.drain();
  }

  /** The body ended: returns what is left; a value cut short is `unexpected EOF`. */
  end(): JsonValue[] {
    this.text += this.decoder.decode();
    this.ended = true;
    return this.drain();
  }

  private drain(): JsonValue[] {
    if (this.failure !== undefined) throw this.failure;
    const out: JsonValue[] = [];
    let pos = 0;
    for (;;) {
      while (isWhitespace(this.text[pos])) pos++;
      if (pos >= this.text.length) break;
      let parsed;
      try {
        parsed = parseNextValue(this.text, pos);
      } catch (err) {
        if (!(err instanceof JsonSyntaxError)) throw err;
        if (err.incomplete && !this.ended) break;
        this.failure = new KvError('InvalidArgument', err.message);
        if (out.length === 0) throw this.failure;
        this.text = '';
        return out;
      }
      if (parsed === undefined) break;
      out.push(parsed.value);
      pos = parsed.end;
    }
    this.text = this.text.slice(pos);
    if (this.text.length > this.maxValueChars) {
      throw new KvError('GrpcMessageTooLarge', `grpc: received message larger than max (${this.text.length} vs. ${this.maxValueChars})`);
    }
    return out;
  }
}
