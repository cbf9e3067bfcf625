/** Watch responses written in pieces are byte for byte the whole encoding. */
import { describe, expect, it } from 'vitest';
import type { Event, WatchResponse } from '../../src/api/kv.js';
import { encodeMessage } from '../../src/api/json.js';
import { WatchResponseDesc } from '../../src/api/json/messages-watch.js';
import { watchResponseJson } from '../../src/http/watch-encode.js';

const header = { clusterId: 1n, memberId: 2n, revision: 9, raftTerm: 3 };
const kv = (k: string, rev: number) => ({ key: Buffer.from(k), value: Buffer.from(`v${rev}`), createRevision: 2, modRevision: rev, version: rev - 1, lease: 0n });
const events: Event[] = [
  { type: 'PUT', kv: kv('a', 8) },
  { type: 'DELETE', kv: { ...kv('b', 8), value: Buffer.alloc(0), createRevision: 0, version: 0 } },
  { type: 'PUT', kv: kv('c', 8), prevKv: kv('c', 7) },
];

describe('watchResponseJson', () => {
  it.each<[string, WatchResponse]>([
    ['events', { header, watchId: 3, events }],
    ['one event, fragment', { header, watchId: 0, fragment: true, events: events.slice(0, 1) }],
    ['created, no events', { header, watchId: 5, created: true, events: [] }],
    ['canceled with a reason', { header, watchId: 4, canceled: true, cancelReason: 'etcdserver: watch canceled', events: [] }],
    // The plain-events path (header encoded once per header object, watch_id by hand):
    ['events on watch 0 (watch_id omitted)', { header, watchId: 0, events: events.slice(0, 1) }],
    ['events on watch -1', { header, watchId: -1, events: events.slice(1) }],
    ['events, flags present but false', { header, watchId: 6, created: false, canceled: false, fragment: false, events }],
    ['events with a compact revision', { header, watchId: 2, compactRevision: 5, events: events.slice(0, 1) }],
    ['events under an all-zero header', { header: { clusterId: 0n, memberId: 0n, revision: 0, raftTerm: 0 }, watchId: 1, events }],
    ['no events field', { header, watchId: 8 }],
  ])('%s', (_name, wr) => {
    expect([...watchResponseJson(wr)].join('')).toBe(encodeMessage(WatchResponseDesc, wr));
  });
});

describe('watchResponseJson with one header object for many responses', () => {
  it('encodes each response with its own watch ID and events', () => {
    const shared = { clusterId: 7n, memberId: 8n, revision: 12, raftTerm: 4 };
    const responses: WatchResponse[] = [0, 1, 2].map((watchId) => ({ header: shared, watchId, events: events.slice(watchId, watchId + 1) }));
    for (const wr of responses) expect(watchResponseJson(wr).join('')).toBe(encodeMessage(WatchResponseDesc, wr));
  });
});
