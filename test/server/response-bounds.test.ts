/**
 * Issue 15 items 1 and 2 at small scale against a real member over HTTP: catch-up watchers that
 * never read, big ranges, ranges above --max-response-bytes and concurrent ranges under the
 * member-wide budget; the member keeps serving throughout and lets go of everything afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type CairnNode } from '../../src/index.js';
import { freePort } from '../e2e/processes.js';

const MAX_RESPONSE_BYTES = 256 * 1024;
let node: CairnNode;
let base = '';
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-bounds-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
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
    maxResponseBytes: MAX_RESPONSE_BYTES,
  });
});
afterAll(async () => {
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const post = (path: string, body: object) => fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });

/** Puts `count` keys `prefix` + NNN, `perTxn` to a txn (one revision each) to keep set-up short. */
async function putMany(prefix: string, count: number, value: string, perTxn: number): Promise<void> {
  for (let i = 0; i < count; i += perTxn) {
    const success = [];
    for (let j = i; j < Math.min(count, i + perTxn); j++) success.push({ request_put: { key: b64(`${prefix}${String(j).padStart(3, '0')}`), value } });
    const res = await post('/v3/kv/txn', { success });
    expect(res.status).toBe(200);
  }
}

async function healthy(): Promise<boolean> {
  const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
  return res.status === 200 && ((await res.json()) as { health: string }).health === 'true';
}

describe('range responses above --max-response-bytes', () => {
  beforeAll(async () => {
    await putMany('r/', 400, b64(Buffer.alloc(2000, 1)), 100);
  }, 60_000);
  const all = { key: b64('r/'), range_end: b64('r0') };

  it('fail with ResourceExhausted naming the size and the limit; smaller ones are served', async () => {
    const res = await post('/v3/kv/range', all);
    expect(res.status).toBe(429);
    const body = (await res.json()) as { error: string; code: number };
    expect(body.code).toBe(8);
    const m = /^grpc: trying to send message larger than max \((\d+) vs\. (\d+)\)$/.exec(body.error);
    expect(m?.[2]).toBe(String(MAX_RESPONSE_BYTES));
    // 400 values of 2,000 bytes plus keys, revisions and framing.
    expect(Number(m?.[1])).toBeGreaterThan(400 * 2000);
    expect(Number(m?.[1])).toBeLessThan(400 * 2100);
    const some = await post('/v3/kv/range', { ...all, limit: 100 });
    expect(some.status).toBe(200);
    expect(((await some.json()) as { kvs: unknown[]; more: boolean }).kvs).toHaveLength(100);
    expect((await post('/v3/kv/range', { ...all, count_only: true })).status).toBe(200);
    expect(await healthy()).toBe(true);
  });

  it('run concurrently under the member-wide budget, each answered in full, then return it', async () => {
    // Each is ~200 KB; the budget is four times 256 KiB, so some of the 12 wait for others.
    const bodies = await Promise.all(Array.from({ length: 12 }, () => post('/v3/kv/range', { ...all, limit: 100 }).then((r) => r.text())));
    for (const b of bodies) expect(b).toBe(bodies[0]);
    expect(JSON.parse(bodies[0] as string).kvs).toHaveLength(100);
    expect(await healthy()).toBe(true);
  });
});

describe('ranges inside txns above --max-response-bytes', () => {
  const all = { key: b64('r/'), range_end: b64('r0') };
  const tooLarge = async (res: Response): Promise<void> => {
    expect(res.status).toBe(429);
    const body = (await res.json()) as { error: string; code: number };
    expect(body.code).toBe(8);
    expect(body.error).toMatch(new RegExp(`^grpc: trying to send message larger than max \\(\\d+ vs\\. ${MAX_RESPONSE_BYTES}\\)$`));
  };

  it('a read-only txn fails like a range, with nothing done', async () => {
    const before = ((await (await post('/v3/kv/range', { key: b64('none') })).json()) as { header: { revision: string } }).header.revision;
    await tooLarge(await post('/v3/kv/txn', { success: [{ request_range: all }] }));
    // Two ranges of ~200 KB: each fits, together they do not.
    await tooLarge(await post('/v3/kv/txn', { success: [{ request_range: { ...all, limit: 100 } }, { request_range: { ...all, limit: 100 } }] }));
    const one = await post('/v3/kv/txn', { success: [{ request_range: { ...all, limit: 100 } }] });
    expect(one.status).toBe(200);
    const after = ((await one.json()) as { header: { revision: string } }).header.revision;
    expect(after).toBe(before);
  });

  it('a write txn is applied, and answers ResourceExhausted (outcome: applied)', async () => {
    await tooLarge(await post('/v3/kv/txn', { success: [{ request_put: { key: b64('txn-w'), value: b64('applied') } }, { request_range: all }] }));
    const got = (await (await post('/v3/kv/range', { key: b64('txn-w') })).json()) as { kvs?: Array<{ value: string }> };
    expect(got.kvs?.map((kv) => Buffer.from(kv.value, 'base64').toString())).toEqual(['applied']);
    expect(await healthy()).toBe(true);
  });

  it('a delete with prev_kv past the bound is applied, and answers ResourceExhausted (outcome: applied)', async () => {
    await tooLarge(await post('/v3/kv/deleterange', { ...all, prev_kv: true }));
    const left = (await (await post('/v3/kv/range', { ...all, count_only: true })).json()) as { count?: string };
    expect(left.count ?? '0').toBe('0');
    expect(await healthy()).toBe(true);
  });
});

describe('catch-up watchers on large values', () => {
  const REVISIONS = 40;
  beforeAll(async () => {
    for (let i = 0; i < REVISIONS; i++) await post('/v3/kv/put', { key: b64('w'), value: b64(Buffer.alloc(100_000, i)) });
  }, 60_000);

  /** A watch from revision 1 whose response is never read. */
  function idleWatch(): ClientRequest {
    const req = request(`${base}/v3/watch`, { method: 'POST' });
    req.on('response', (res) => res.pause());
    req.on('error', () => undefined);
    req.write(JSON.stringify({ create_request: { key: b64('w'), start_revision: 1 } }));
    return req;
  }

  it('do not stop a reader catching up, nor the member serving, and are released when they close', async () => {
    const idle = Array.from({ length: 30 }, idleWatch);
    const first = (await post('/v3/kv/range', { key: b64('w'), count_only: true }).then((r) => r.json())) as { header: { revision: string } };
    const controller = new AbortController();
    const res = await fetch(`${base}/v3/watch`, {
      method: 'POST',
      body: JSON.stringify({ create_request: { key: b64('w'), start_revision: 1 } }),
      signal: controller.signal,
    });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const revisions: number[] = [];
    while (revisions.length < REVISIONS) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      let nl: number;
      while ((nl = text.indexOf('\n')) >= 0) {
        const line = JSON.parse(text.slice(0, nl)) as { result: { events?: { kv: { mod_revision: string } }[] } };
        text = text.slice(nl + 1);
        for (const ev of line.result.events ?? []) revisions.push(Number(ev.kv.mod_revision));
      }
    }
    const last = Number(first.header.revision);
    expect(revisions).toEqual(Array.from({ length: REVISIONS }, (_, i) => last - REVISIONS + 1 + i));
    expect(await healthy()).toBe(true);
    const hub = node.member.watchHub;
    expect(hub.stats().catchUpBytes).toBeLessThanOrEqual(hub.options.catchUpMaxBytes);
    controller.abort();
    for (const req of idle) req.destroy();
    for (let i = 0; i < 500 && hub.stats().streams > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(hub.stats()).toEqual({ streams: 0, synced: 0, unsynced: 0, victims: 0, catchUpBytes: 0 });
  }, 60_000);
});

describe('SSE watch of a revision above the fragment threshold', () => {
  it('arrives in pieces: all but the last without an id and marked fragment, events in order', async () => {
    await putMany('f/', 30, b64(Buffer.alloc(100_000, 3)), 10);
    const controller = new AbortController();
    const res = await fetch(`${base}/kv/f/?watch&prefix&prev_kv`, { signal: controller.signal });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const messages: { id?: string; data: { revision: string; fragment?: boolean; events: { prev_kv?: unknown }[] } }[] = [];
    const deleted = post('/v3/kv/deleterange', { key: b64('f/'), range_end: b64('f0') });
    while (!messages.some((m) => m.id !== undefined)) {
      const { value: chunk, done } = await reader.read();
      if (done) break;
      text += chunk;
      let end: number;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const lines = text.slice(0, end).split('\n');
        text = text.slice(end + 2);
        const id = lines.find((l) => l.startsWith('id: '))?.slice(4);
        const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
        if (data !== undefined) messages.push({ id, data: JSON.parse(data) });
      }
    }
    controller.abort();
    expect((await deleted).status).toBe(200);
    expect(messages.length).toBeGreaterThan(1);
    const last = messages.at(-1)!;
    for (const m of messages.slice(0, -1)) expect([m.id, m.data.fragment, m.data.revision]).toEqual([undefined, true, last.id]);
    expect(last.data.fragment).toBeUndefined();
    const events = messages.flatMap((m) => m.data.events);
    expect(events).toHaveLength(30);
    for (const ev of events) expect(ev.prev_kv).toBeDefined();
  }, 60_000);
});
