/**
 * `GET /kv/<key>?watch` as Server-Sent Events over a real socket: one message per revision with
 * `id:` = revision, resumption with Last-Event-ID, the compaction end, heartbeats, cleanup.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64 } from '../api/examples.js';
import { newApp, post, servedOverSocket } from './helpers.js';
import type { LineStream } from './helpers.js';

const { app, service } = newApp({ sseHeartbeatMs: 100 });
const server = servedOverSocket(app, { beforeAll, afterAll });

function sse(path: string, headers: Record<string, string> = {}): LineStream {
  const s = server.open('GET', path, headers);
  s.endBody();
  return s;
}

const put = (key: string, value: string) => app.inject({ method: 'PUT', url: `/kv/${key}`, payload: value, headers: { 'content-type': 'text/plain' } });

interface Message {
  id?: string;
  event?: string;
  data?: string;
  comments: string[];
}

/** Reads one SSE message (up to its blank line). */
async function message(s: LineStream): Promise<Message> {
  const m: Message = { comments: [] };
  for (;;) {
    const line = await s.next();
    if (line === undefined) throw new Error('stream ended');
    if (line === '') return m;
    if (line.startsWith(':')) m.comments.push(line.slice(1).trim());
    else {
      const [field, ...rest] = line.split(': ');
      (m as unknown as Record<string, string>)[field!] = rest.join(': ');
    }
  }
}

/** The next message that carries data or an event name (skipping heartbeats and notes). */
async function dataMessage(s: LineStream): Promise<Message> {
  for (;;) {
    const m = await message(s);
    if (m.data !== undefined || m.event !== undefined) return m;
  }
}

describe('SSE watch', () => {
  it('sends one message per revision with id = revision, events as gateway JSON', async () => {
    const s = sse('/kv/app/?watch&prefix&prev_kv');
    const created = await message(s);
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toBe('text/event-stream');
    expect(created.comments[0]).toBe('watching at revision 1');
    await put('app/a', 'one');
    let m = await dataMessage(s);
    expect(m.id).toBe('2');
    const data = JSON.parse(m.data!);
    expect(data.revision).toBe('2');
    expect(data.events).toEqual([{ kv: { key: b64('app/a'), create_revision: '2', mod_revision: '2', version: '1', value: b64('one') } }]);
    await put('other', 'x');
    await post(app, '/v3/kv/txn', {
      success: [{ request_put: { key: b64('app/a'), value: b64('two') } }, { request_put: { key: b64('app/b'), value: b64('b') } }],
    });
    m = await dataMessage(s);
    expect(m.id).toBe('4');
    const txn = JSON.parse(m.data!);
    expect(txn.events.map((e: { kv: { key: string } }) => Buffer.from(e.kv.key, 'base64').toString())).toEqual(['app/a', 'app/b']);
    expect(txn.events[0].prev_kv.value).toBe(b64('one'));
    s.close();
  });

  it('resumes after Last-Event-ID with nothing lost or repeated', async () => {
    await put('app/c', 'c1');
    await app.inject({ method: 'DELETE', url: '/kv/app/c' });
    const s = sse('/kv/app/c?watch', { 'last-event-id': '4' });
    const ids: string[] = [];
    const types: string[] = [];
    for (let i = 0; i < 2; i++) {
      const m = await dataMessage(s);
      ids.push(m.id!);
      types.push(JSON.parse(m.data!).events[0].type ?? 'PUT');
    }
    expect(ids).toEqual(['5', '6']);
    expect(types).toEqual(['PUT', 'DELETE']);
    s.close();
  });

  it('starts at ?rev and sends heartbeats while idle', async () => {
    const s = sse('/kv/app/a?watch&rev=4');
    const m = await dataMessage(s);
    expect(m.id).toBe('4');
    const idle = await message(s);
    expect(idle.comments).toEqual(['heartbeat']);
    s.close();
  });

  it('ends with event: compacted when the start revision is compacted', async () => {
    await post(app, '/v3/kv/compaction', '{"revision":"5"}');
    const s = sse('/kv/app/a?watch', { 'last-event-id': '2' });
    const m = await dataMessage(s);
    expect([m.event, m.data]).toEqual(['compacted', '{"compact_revision":"5"}']);
    expect(await s.next()).toBeUndefined();
  });

  it('rejects a bad request before streaming and cleans up after the client leaves', async () => {
    const bad = sse('/kv/?watch');
    expect(await bad.next()).toContain('etcdserver: key is not provided');
    expect(bad.status).toBe(400);
    const badId = sse('/kv/x?watch', { 'last-event-id': 'soon' });
    await badId.next();
    expect(badId.status).toBe(400);
    for (let i = 0; i < 200 && service.streams.size > 0; i++) await new Promise((r) => setTimeout(r, 5));
    const s = sse('/kv/x?watch');
    await message(s);
    expect(service.streams.size).toBe(1);
    s.close();
    for (let i = 0; i < 200 && service.streams.size > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(service.streams.size).toBe(0);
  });
});
