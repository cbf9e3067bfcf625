/**
 * Watch responses as JSON pieces, each event encoded once however many streams carry it
 * (issue 15: 500 catch-up streams each encoding the same 100 KB values into its own 400 KB
 * string peaked near 2 GB). The hub hands one Event object to every watcher it matches, so a
 * weak cache keyed by that object shares one string among all their responses; the pieces are
 * written one at a time under socket backpressure, so a client that does not read holds
 * references to shared strings, not a copy of its own.
 */
import type { Event, WatchResponse } from '../api/kv.js';
import { encodeMessage } from '../api/json.js';
import { EventDesc } from '../api/json/messages-kv.js';
import { WatchResponseDesc } from '../api/json/messages-watch.js';
import { assert } from '../util/assert.js';

const encoded = new WeakMap<Event, string>();

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
 * last field, so it is the response without events, reopened, then the events one by one.
 */
export function* watchResponseJson(wr: WatchResponse): Generator<string> {
  const events = wr.events ?? [];
  const rest = encodeMessage(WatchResponseDesc, { ...wr, events: [] });
  if (events.length === 0) {
    yield rest;
    return;
  }
  assert(rest.endsWith('}') && rest.length > 2, 'watch response JSON is not a non-empty object');
  yield `${rest.slice(0, -1)},"events":[`;
  for (let i = 0; i < events.length; i++) {
    // The comma apart: a `,${json}` string would be flattened into a copy when written.
    if (i > 0) yield ',';
    yield eventJson(events[i] as Event);
  }
  yield ']}';
}
