/**
 * Many watchers of one key on a real member (issue 18's fan-out path end to end): the service's
 * `takeReady` beside iteration, one API event shared by every watcher, and over `/v3/watch`
 * several streams of several watchers each, plain and prev_kv, getting every revision once, in
 * order, under their own watch IDs, with writes in quick succession.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WatchResponse } from '../../src/api/kv.js';
import { startNode, type CairnNode } from '../../src/index.js';
import { toApiEvent, toApiEvents } from '../../src/server/api-ids.js';
import type { Event } from '../../src/store/types.js';
import { freePort } from '../e2e/processes.js';

let node: CairnNode;
let base = '';
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-fanout-'));
  base = `http://127.0.0.1:${await freePort()}`;
  const peer = `http://127.0.0.1:${await freePort()}`;
  node = await startNode({
    http: true,
    dataDir: join(dir, 'm'),
    listenClientUrls: [base],
    advertiseClientUrls: [base],
    listenPeerUrls: [peer],
    initialAdvertisePeerUrls: [peer],
    initialCluster: new Map([['default', [peer]]]),
    heartbeatIntervalMs: 10,
    electionTimeoutMs: 100,
  });
});
afterAll(async () => {
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

const enc = (s: string) => new TextEncoder().encode(s);
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('toApiEvent', () => {
  it('converts a store event once: the same API event for every array that holds it', () => {
    const kv = { key: enc('k'), value: enc('v'), createRevision: 2, modRevision: 3, version: 2, lease: 5 };
    const ev: Event = { type: 'PUT', kv };
    const api = toApiEvent(ev);
    expect(api).toEqual({ type: 'PUT', kv: { ...kv, lease: 5n } });
    expect(toApiEvent(ev)).toBe(api);
    const [a, b] = [toApiEvents([ev]), toApiEvents([ev, { type: 'DELETE', kv }])];
    expect(a[0]).toBe(api);
    expect(b[0]).toBe(api);
    expect(b[1]).toEqual({ type: 'DELETE', kv: { ...kv, lease: 5n } });
  });
});

describe('the service watch stream', () => {
  it('takeReady hands over buffered responses as iteration would, one API event for all watchers', async () => {
    const stream = node.watch();
    stream.send({ type: 'create', request: { key: enc('svc/a') } });
    stream.send({ type: 'create', request: { key: enc('svc/a') } });
    const it = stream[Symbol.asyncIterator]();
    const created = (await it.next()).value as WatchResponse;
    expect(created).toMatchObject({ watchId: 0, created: true });
    expect(stream.takeReady?.()).toMatchObject({ watchId: 1, created: true });
    expect(stream.takeReady?.()).toBeUndefined();
    const { header } = await node.put({ key: enc('svc/a'), value: enc('1') });
    const first = (await it.next()).value as WatchResponse;
    const second = stream.takeReady?.();
    expect(first).toEqual({ header, watchId: 0, events: [{ type: 'PUT', kv: expect.objectContaining({ modRevision: header.revision }) as unknown }] });
    expect(second).toEqual({ ...first, watchId: 1 });
    // The HTTP layer encodes an event once by identity: both watchers must carry the same one.
    expect(second?.events?.[0]).toBe(first.events?.[0]);
    stream.close();
    expect((await it.next()).done).toBe(true);
  });
});

describe('/v3/watch fan-out over several streams', () => {
  it('delivers every revision once, in order, to each watcher, plain and prev_kv', async () => {
    const STREAMS = 4;
    const PER_STREAM = 25;
    const PUTS = 30;
    await node.put({ key: enc('fan/k'), value: enc('v0') });
    type Got = { revisions: number[]; prev: string[] };
    const got = new Map<string, Got>();
    let created = 0;
    const reqs = Array.from({ length: STREAMS }, (_, s) => {
      const req = request(`${base}/v3/watch`, { method: 'POST' });
      req.on('error', () => undefined);
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
            const { result } = JSON.parse(text.slice(0, nl)) as { result: { watch_id?: string; created?: boolean; events?: Array<{ kv: { mod_revision: string }; prev_kv?: { value: string } }> } };
            text = text.slice(nl + 1);
            if (result.created) created++;
            const slot = `${s}/${result.watch_id ?? '0'}`;
            const g = got.get(slot) ?? { revisions: [], prev: [] };
            got.set(slot, g);
            for (const ev of result.events ?? []) {
              g.revisions.push(Number(ev.kv.mod_revision));
              if (ev.prev_kv) g.prev.push(Buffer.from(ev.prev_kv.value, 'base64').toString());
            }
          }
        });
      });
      // Odd watch IDs ask for prev_kv: both kinds share each stream.
      const creates = Array.from({ length: PER_STREAM }, (_, i) => JSON.stringify({ create_request: { key: b64('fan/k'), prev_kv: i % 2 === 1 } }));
      req.write(creates.join('\n'));
      return req;
    });
    for (let i = 0; i < 500 && created < STREAMS * PER_STREAM; i++) await new Promise((r) => setTimeout(r, 10));
    expect(created).toBe(STREAMS * PER_STREAM);
    // Writes in flight together, so responses pile up in the streams' buffers between reads.
    const headers = await Promise.all(Array.from({ length: PUTS }, (_, i) => node.put({ key: enc('fan/k'), value: enc(`v${i + 1}`) })));
    const revisions = headers.map((r) => r.header.revision).sort((a, b) => a - b);
    const done = () => [...got.values()].filter((g) => g.revisions.length >= PUTS).length === STREAMS * PER_STREAM;
    for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
    for (const r of reqs) r.destroy();
    expect(got.size).toBe(STREAMS * PER_STREAM);
    for (const [slot, g] of got) {
      expect(g.revisions, slot).toEqual(revisions);
      const prevKv = Number(slot.split('/')[1]) % 2 === 1;
      // Revision r's prev_kv is the value written at r − 1: v0 … v(PUTS−1) in revision order.
      expect(g.prev, slot).toEqual(prevKv ? Array.from({ length: PUTS }, (_, i) => `v${i}`) : []);
    }
  });
});
