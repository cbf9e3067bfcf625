/**
 * Parsing for the plain key API (`/kv/<key>`): the key is the rest of the path with
 * percent-escapes decoded byte by byte (so any byte string is addressable), options come from
 * the query string, and conditions from `If-Match` / `If-None-Match` on mod_revision.
 */
import type { IncomingMessage } from 'node:http';
import { prefixRangeEnd } from '../../util/bytes.js';
import { KvError } from '../../util/errors.js';

export const PLAIN_PREFIX = '/kv/';
/**
 * The router sees every /kv/ URL as this one: find-my-way would percent-decode the key as UTF-8
 * (and refuse `%FF`), but keys are bytes, so handlers parse the original URL themselves.
 */
export const PLAIN_ROUTE = '/kv/key';

export function routedPlainUrl(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? PLAIN_ROUTE : PLAIN_ROUTE + url.slice(q);
}

const HEX = /^[0-9a-fA-F]{2}$/;

/** Percent-decodes to bytes; other characters are taken as the request line's raw bytes. */
export function decodeKeyPath(encoded: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const c = encoded.charCodeAt(i);
    if (c !== 0x25 /* % */) {
      out.push(c & 0xff);
      continue;
    }
    const hex = encoded.slice(i + 1, i + 3);
    if (!HEX.test(hex)) throw new KvError('InvalidArgument', `cairn: invalid percent-encoding in key at byte ${i}`);
    out.push(parseInt(hex, 16));
    i += 2;
  }
  return new Uint8Array(out);
}

export interface PlainRequest {
  readonly key: Uint8Array;
  readonly query: URLSearchParams;
  /** `?prefix`: every key starting with `key` (an empty key means every key). */
  readonly prefix: boolean;
}

/** `url` is the request's original URL (app.ts rewrites /kv/ URLs so the router never decodes keys). */
export function parsePlainRequest(url: string): PlainRequest {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  return { key: decodeKeyPath(path.slice(PLAIN_PREFIX.length)), query, prefix: query.has('prefix') };
}

/** The [key, rangeEnd) a plain request covers; undefined rangeEnd = the single key. */
export function rangeOf(req: PlainRequest): { key: Uint8Array; rangeEnd?: Uint8Array } {
  if (!req.prefix) {
    if (req.key.length === 0) throw new KvError('EmptyKey');
    return { key: req.key };
  }
  if (req.key.length === 0) return { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };
  return { key: req.key, rangeEnd: prefixRangeEnd(req.key) };
}

/** A non-negative integer query parameter (`lease`, `rev`, `limit`), 0 when absent. */
export function intParam(query: URLSearchParams, name: string): number {
  const text = query.get(name);
  if (text === null || text === '') return 0;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new KvError('InvalidArgument', `cairn: query parameter ${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** What the request requires of the key's current mod_revision. */
export type Condition =
  | { readonly kind: 'none' }
  | { readonly kind: 'exists' }
  | { readonly kind: 'absent' }
  | { readonly kind: 'modRevision'; readonly revision: number };

function parseEtag(text: string): number {
  const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(text);
  if (m === null || !Number.isSafeInteger(Number(m[1]))) {
    throw new KvError('InvalidArgument', `cairn: ETag must be a mod_revision like "7", got ${JSON.stringify(text)}`);
  }
  return Number(m[1]);
}

/** `If-Match: *` = must exist; `If-Match: "N"` = mod_revision N (0 = absent); `If-None-Match: *` = absent. */
export function conditionOf(raw: IncomingMessage): Condition {
  const ifMatch = raw.headers['if-match'];
  const ifNoneMatch = raw.headers['if-none-match'];
  if (ifMatch !== undefined) {
    if (ifMatch.trim() === '*') return { kind: 'exists' };
    return { kind: 'modRevision', revision: parseEtag(ifMatch) };
  }
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() === '*') return { kind: 'absent' };
  return { kind: 'none' };
}

export const etagOf = (modRevision: number): string => `"${modRevision}"`;
