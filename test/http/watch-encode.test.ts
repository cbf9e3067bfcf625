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
  ])('%s', (_name, wr) => {
    expect([...watchResponseJson(wr)].join('')).toBe(encodeMessage(WatchResponseDesc, wr));
  });
});
