/**
 * Watch responses as JSON pieces, each event encoded once however many streams carry it
 * (issue 15: 500 catch-up streams each encoding the same 100 KB values into its own 400 KB
 * string peaked near 2 GB). The hub hands one Event object to every watcher it matches, so a
 * weak cache keyed by that object shares one string among all their responses; the pieces are
 * written one at a time under socket backpressure, so a client that does not read holds
 * references to shared strings, not a copy of its own.
 */
import type { Event, ResponseHeader, WatchResponse } from '../api/kv.js';
import { encodeMessage } from '../api/json.js';
import { EventDesc, ResponseHeaderDesc } from '../api/json/messages-kv.js';
import { WatchResponseDesc } from '../api/json/messages-watch.js';
import { assert } from '../util/assert.js';

const encoded = new WeakMap<Event, string>();
const headers = new WeakMap<ResponseHeader, string>();

export function eventJson(ev: Event): string {
  let json = encoded.get(ev);
  if (json === undefined) {
    json = encodeMessage(EventDesc, ev);
    encoded.set(ev, json);
  }
  return json;
}

/**
 * The pieces whose concatenation is `encodeMessage(WatchResponseDesc, wr)`: `events` is the
 * last field, so it is the response without events, reopened, then the events one by one. An
 * array rather than a generator: it is built once per watcher per revision (issue 18).
 */
export function watchResponseJson(wr: WatchResponse): string[] {
  const events = wr.events ?? [];
  const rest = isPlainEvents(wr) ? plainRestJson(wr) : encodeMessage(WatchResponseDesc, { ...wr, events: [] });
  if (events.length === 0) return [rest];
  assert(rest.endsWith('}') && rest.length > 2, 'watch response JSON is not a non-empty object');
  const pieces = [`${rest.slice(0, -1)},"events":[`];
  for (let i = 0; i < events.length; i++) {
    // The comma apart: a `,${json}` string would be flattened into a copy when written.
    if (i > 0) pieces.push(',');
    pieces.push(eventJson(events[i] as Event));
  }
  pieces.push(']}');
  return pieces;
}

/** An event response with nothing but a header, a watch ID and events: what fan-out sends. */
function isPlainEvents(wr: WatchResponse): boolean {
  return !wr.created && !wr.canceled && !wr.fragment && !wr.compactRevision && !wr.cancelReason;
}

/**
 * `encodeMessage(WatchResponseDesc, { header, watchId, events: [] })` for such a response, with
 * the header encoded once per header object: the service hands every response of a revision on
 * a stream the same header, and encoding it per watcher was most of a fan-out's JSON (issue 18).
 * watch_id 0 is omitted, as for any zero int64 (grpc-gateway EmitDefaults=false).
 */
function plainRestJson(wr: WatchResponse): string {
  let header = headers.get(wr.header);
  if (header === undefined) {
    header = encodeMessage(ResponseHeaderDesc, wr.header);
    headers.set(wr.header, header);
  }
  return wr.watchId === 0 ? `{"header":${header}}` : `{"header":${header},"watch_id":"${wr.watchId}"}`;
}
