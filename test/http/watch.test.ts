/**
 * `/v3/watch` over a real socket (inject() cannot interleave a streaming body with responses):
 * the reference's watch sessions, several watches on one stream, a body that keeps sending,
 * the stream staying open after the body ends, and cleanup when the client hangs up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, H, clusterH } from '../api/examples.js';
import { newApp, post, servedOverSocket } from './helpers.js';
import type { LineStream } from './helpers.js';

// --cors '*' so the CORS header on a hijacked stream is checked below.
const { app, service } = newApp({ cors: ['*'] });
const server = servedOverSocket(app, { beforeAll, afterAll });

function watch(): LineStream {
  return server.open('POST', '/v3/watch');
}

const put = (key: string, value: string) => post(app, '/v3/kv/put', { key: b64(key), value: b64(value) });

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

describe('/v3/watch', () => {
  it('streams created, then one result per revision with prev_kv, DELETE events carrying key and mod_revision', async () => {
    const s = watch();
    s.send('{"create_request":{"key":"dy8=","range_end":"dzA=","prev_kv":true}}');
    expect(await s.next()).toBe(`{"result":{"header":${H(1)},"created":true}}`);
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toBe('application/json');
    expect(s.headers['access-control-allow-origin']).toBe('*');
    await put('w/a', '1');
    expect(await s.next()).toBe(`{"result":{"header":${H(2)},"events":[{"kv":{"key":"dy9h","create_revision":"2","mod_revision":"2","version":"1","value":"MQ=="}}]}}`);
    await put('w/a', '2');
    expect(await s.next()).toBe(
      `{"result":{"header":${H(3)},"events":[{"kv":{"key":"dy9h","create_revision":"2","mod_revision":"3","version":"2","value":"Mg=="},` +
        `"prev_kv":{"key":"dy9h","create_revision":"2","mod_revision":"2","version":"1","value":"MQ=="}}]}}`,
    );
    await post(app, '/v3/kv/txn', { success: [{ request_put: { key: b64('w/b'), value: b64('3') } }, { request_delete_range: { key: b64('w/a') } }] });
    const txn = (await s.nextJson()) as { result: { events: Array<{ type?: string; kv: object }> } };
    expect(txn.result.events.map((e) => e.type ?? 'PUT')).toEqual(['PUT', 'DELETE']);
    expect(txn.result.events[1]!.kv).toEqual({ key: b64('w/a'), mod_revision: '4' });
    await put('elsewhere', 'x');
    s.close();
  });

  it('multiplexes watches: explicit IDs, progress, cancel (unknown ID: no reply), duplicate IDs', async () => {
    const s = watch();
    const rev = service.store.revision;
    s.send('{"create_request":{"key":"Zm9v"}} {"create_request":{"key":"YmFy","watch_id":"7"}} {"progress_request":{}}');
    s.send('{"cancel_request":{"watch_id":"0"}} {"cancel_request":{"watch_id":"99"}}');
    expect(await s.next()).toBe(`{"result":{"header":${H(rev)},"created":true}}`);
    expect(await s.next()).toBe(`{"result":{"header":${H(rev)},"watch_id":"7","created":true}}`);
    expect(await s.next()).toBe(`{"result":{"header":${H(rev)},"watch_id":"-1"}}`);
    expect(await s.next()).toBe(`{"result":{"header":${H(rev)},"canceled":true}}`);
    s.send('{"create_request":{"key":"Zm9v","watch_id":"7"}}');
    expect(await s.next()).toBe(
      `{"result":{"header":${H(rev)},"watch_id":"-1","created":true,"canceled":true,"cancel_reason":"mvcc: duplicate watch ID provided on the WatchStream"}}`,
    );
    await put('foo', 'ignored: watch 0 was canceled');
    await put('bar', 'seen by 7');
    const event = (await s.nextJson()) as { result: { watch_id: string; events: unknown[] } };
    expect([event.result.watch_id, event.result.events.length]).toEqual(['7', 1]);
    expect(s.pending()).toEqual([]);
    s.close();
  });

  it('replays from start_revision and cancels a compacted start with compact_revision', async () => {
    const s = watch();
    s.send(`{"create_request":{"key":"dy9h","start_revision":"2"}}`);
    expect(((await s.nextJson()) as { result: { created: boolean } }).result.created).toBe(true);
    const replay = [await s.nextJson(), await s.nextJson(), await s.nextJson()] as Array<{ result: { header: { revision: string } } }>;
    expect(replay.map((r) => r.result.header.revision)).toEqual(['2', '3', '4']);
    await post(app, '/v3/kv/compaction', '{"revision":"3"}');
    s.send(`{"create_request":{"key":"Zm9v","start_revision":"2"}}`);
    const created = (await s.nextJson()) as { result: { watch_id: string } };
    expect(created.result.watch_id).toBe('1');
    expect(await s.next()).toBe(`{"result":{"header":${clusterH},"watch_id":"1","canceled":true,"compact_revision":"3"}}`);
    s.close();
  });

  it('stays open after the request body ends and keeps delivering events', async () => {
    const s = watch();
    s.send('{"create_request":{"key":"bGF0ZQ=="}}');
    s.endBody();
    await s.nextJson();
    await new Promise((r) => setTimeout(r, 50));
    await put('late', 'still here');
    const res = (await s.nextJson()) as { result: { events: Array<{ kv: { value: string } }> } };
    expect(res.result.events[0]!.kv.value).toBe(b64('still here'));
    expect(s.ended).toBe(false);
    s.close();
  });

  it('reads requests as they arrive, even split mid-message', async () => {
    const s = watch();
    s.send('{"create_req');
    await new Promise((r) => setTimeout(r, 30));
    s.send('uest":{"key":"c3BsaXQ="}}');
    expect(((await s.nextJson()) as { result: { created: boolean } }).result.created).toBe(true);
    s.close();
  });

  it('cancels every watch of the stream when the client hangs up', async () => {
    await waitFor(() => service.streams.size === 0);
    const before = service.streams.size;
    const s = watch();
    s.send('{"create_request":{"key":"aGFuZw=="}}');
    await s.nextJson();
    expect(service.streams.size).toBe(before + 1);
    s.close();
    await waitFor(() => service.streams.size === before);
  });

  it('a bad first message is a unary 500 code 2; a later bad message only stops reading', async () => {
    const bad = watch();
    bad.send('{bad');
    bad.endBody();
    expect(await bad.next()).toBe(
      '{"error":"invalid character \'b\' looking for beginning of object key string","code":2,"message":"invalid character \'b\' looking for beginning of object key string"}',
    );
    expect(bad.status).toBe(500);
    const s = watch();
    s.send('{"create_request":{"key":"b2s="}} {oops} {"create_request":{"key":"bm90LXJlYWQ="}}');
    expect(((await s.nextJson()) as { result: { created: boolean } }).result.created).toBe(true);
    await put('ok', '1');
    const res = (await s.nextJson()) as { result: { watch_id?: string; created?: boolean } };
    expect(res.result.created).toBeUndefined();
    s.close();
  });

  it('holds back for a slow reader and then delivers every event in order', async () => {
    const s = watch();
    s.send('{"create_request":{"key":"c2xvdw=="}}');
    await s.nextJson();
    s.pause();
    const value = Buffer.alloc(32 * 1024, 's').toString('base64');
    const first = service.store.revision + 1;
    for (let i = 0; i < 60; i++) await post(app, '/v3/kv/put', { key: b64('slow'), value });
    s.resume();
    const revisions: number[] = [];
    for (let i = 0; i < 60; i++) {
      const res = (await s.nextJson(5000)) as { result: { header: { revision: string } } };
      revisions.push(Number(res.result.header.revision));
    }
    expect(revisions).toEqual(Array.from({ length: 60 }, (_, i) => first + i));
    s.close();
  });

  it('ends with the error chunk when the service fails mid-stream', async () => {
    const s = watch();
    s.send('{"create_request":{"key":"ZmFpbA=="}}');
    await s.nextJson();
    const { KvError } = await import('../../src/util/errors.js');
    for (const stream of service.streams) stream.fail(new KvError('NoLeader'));
    expect(await s.next()).toBe('{"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}}');
    expect(await s.next()).toBeUndefined();
  });
});
