/**
 * The client port's connection bounds (issue 15 item 3) over real sockets, with timeouts scaled
 * down: a slow upload or slow headers are answered 408 and cut, idle kept-alive connections are
 * closed, connections over --max-connections are closed at once and logged — while watch and SSE
 * streams live on past every timeout and the server keeps answering /health and puts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { autoMaxConnections, FALLBACK_MAX_CONNECTIONS, MAX_AUTO_CONNECTIONS, type ConnectionLimits } from '../../src/http/connection-limits.js';
import { parseOpenFileLimit } from '../../src/cli/open-file-limit.js';
import { b64 } from '../api/examples.js';
import { LineStream, listen, newApp } from './helpers.js';
import { RawHttp, closedWithin, putRequest, sleep } from './raw-http.js';

describe('client connection limits', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function served(limits: Partial<ConnectionLimits>) {
    const warnings: { fields: Record<string, unknown>; msg: string }[] = [];
    const { app, service } = newApp({ connectionLimits: limits, warn: (fields, msg) => warnings.push({ fields, msg }) });
    const port = await listen(app);
    cleanups.push(() => app.close());
    const raw = async () => {
      const c = await RawHttp.connect(port);
      cleanups.push(() => void c.socket.destroy());
      return c;
    };
    const stream = (method: string, path: string) => {
      const s = new LineStream(port, method, path);
      cleanups.push(() => s.close());
      return s;
    };
    return { app: app as FastifyInstance, service, port, warnings, raw, stream };
  }

  const short = { bodyTimeoutMs: 300, idleTimeoutMs: 300, keepAliveTimeoutMs: 300, headersTimeoutMs: 300 };

  it('cuts a slow upload with 408 while a watch and an SSE stream live on past every timeout', async () => {
    const s = await served(short);
    const watch = s.stream('POST', '/v3/watch');
    watch.send(JSON.stringify({ create_request: { key: b64('k') } })); // the body stays open, as etcd clients keep it
    expect(await watch.nextJson()).toMatchObject({ result: { created: true } });
    const sse = s.stream('GET', '/kv/k?watch');
    sse.endBody();
    await sse.responded;

    // One byte every 50 ms keeps the socket busy (the idle timeout never fires): only the body timer can end it.
    const slow = await s.raw();
    slow.write('POST /v3/kv/put HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n');
    const started = Date.now();
    void slow.drip('{"key":"'.padEnd(200, 'a'), 50);
    await slow.until(/^HTTP\/1\.1 408 /, 3000);
    expect(slow.text).toMatch(/connection: close/i);
    expect(slow.text).toMatch(/request body not received within 300 ms/);
    expect(await closedWithin(slow, 2000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2500);

    await sleep(1000); // > 3 × every timeout, with both streams quiet all along
    const client = await s.raw();
    client.write(putRequest('k', 'v'));
    await client.until(/^HTTP\/1\.1 200 /);
    expect(await watch.nextJson()).toMatchObject({ result: { events: [{ kv: { key: b64('k'), value: b64('v') } }] } });
    for (;;) {
      const line = await sse.next();
      if (line?.startsWith('data: ')) {
        expect(JSON.parse(line.slice('data: '.length))).toMatchObject({ events: [{ kv: { key: b64('k') } }] });
        break;
      }
    }
    expect(watch.ended).toBe(false);
  });

  it('lets a waiting Lock and an Observe stream stay quiet past the idle timeout', async () => {
    const s = await served(short);
    const held = await s.raw();
    const body = (o: unknown) => JSON.stringify(o);
    const post = (path: string, o: unknown) => `POST ${path} HTTP/1.1\r\nHost: t\r\nContent-Length: ${Buffer.byteLength(body(o))}\r\n\r\n${body(o)}`;
    const lease = async (): Promise<string> => {
      const c = await s.raw();
      c.write(post('/v3/lease/grant', { TTL: 60 }));
      await c.until(/"ID":"(\d+)"/);
      return /"ID":"(\d+)"/.exec(c.text)?.[1] as string;
    };
    held.write(post('/v3/lock/lock', { name: b64('L'), lease: await lease() }));
    await held.until(/"key":"([^"]+)"/);
    const key = /"key":"([^"]+)"/.exec(held.text)?.[1] as string;
    const waiting = await s.raw();
    waiting.write(post('/v3/lock/lock', { name: b64('L'), lease: await lease() }));
    const observe = s.stream('POST', '/v3/election/observe');
    observe.send(body({ name: b64('E') }));
    observe.endBody();
    await sleep(1000); // > 3 × every timeout, both quiet all along
    const unlock = await s.raw();
    unlock.write(post('/v3/lock/unlock', { key }));
    await waiting.until(/^HTTP\/1\.1 200 [\s\S]*"key":/, 3000);
    const campaign = await s.raw();
    campaign.write(post('/v3/election/campaign', { name: b64('E'), lease: await lease(), value: b64('v') }));
    expect(await observe.nextJson()).toMatchObject({ result: { kv: { value: b64('v') } } });
  });

  it('answers 408 to headers that do not finish in time, even when they trickle in', async () => {
    const s = await served(short);
    const c = await s.raw();
    void c.drip('POST /v3/kv/put HTTP/1.1\r\nHost: t\r\nX-Slow: '.padEnd(400, 'x'), 50);
    await c.until(/^HTTP\/1\.1 408 /, 3000);
    expect(await closedWithin(c, 2000)).toBe(true);
  });

  it('closes a kept-alive connection idle past the keep-alive timeout, and one that served its request quota', async () => {
    const s = await served({ ...short, maxRequestsPerSocket: 2 });
    const idle = await s.raw();
    idle.write('GET /health HTTP/1.1\r\nHost: t\r\n\r\n');
    await idle.until(/^HTTP\/1\.1 200 [\s\S]*"health":"true"/);
    expect(idle.text).toMatch(/keep-alive/i);
    expect(await closedWithin(idle, 2000)).toBe(true);

    const busy = await s.raw();
    busy.write('GET /health HTTP/1.1\r\nHost: t\r\n\r\n');
    await busy.until(/"health":"true"/);
    expect(busy.text).not.toMatch(/connection: close/i);
    busy.write(putRequest('q', '1'));
    await busy.until(/HTTP\/1\.1 200 [\s\S]*HTTP\/1\.1 200 /);
    expect(busy.text.split('HTTP/1.1 200 ')[2]).toMatch(/connection: close/i);
    expect(await closedWithin(busy, 2000)).toBe(true);
  });

  it('closes connections over --max-connections at once, logs them throttled, and keeps serving the ones it holds', async () => {
    const s = await served({ maxConnections: 3 });
    const client = await s.raw();
    client.write('GET /health HTTP/1.1\r\nHost: t\r\n\r\n');
    await client.until(/"health":"true"/);
    const held = [await s.raw(), await s.raw()];
    const over = [await s.raw(), await s.raw(), await s.raw()];
    for (const c of over) {
      expect(await closedWithin(c, 2000)).toBe(true);
      expect(c.text).toBe('');
    }
    // The first is logged with its address, the next two are counted into a later line.
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]?.msg).toBe('closed client connection: --max-connections=3 reached');
    expect(s.warnings[0]?.fields).toMatchObject({ remote: `127.0.0.1:${over[0]!.localPort}`, maxConnections: 3, closedInAll: 1 });
    // The member still serves the connections it holds: a put on the kept-alive client.
    client.text = '';
    client.write(putRequest('held', 'yes'));
    await client.until(/^HTTP\/1\.1 200 /);
    expect(s.service.store.revision).toBeGreaterThan(1);
    // A freed slot lets a new connection in.
    held[0]!.socket.destroy();
    await sleep(50);
    const next = await s.raw();
    next.write('GET /health HTTP/1.1\r\nHost: t\r\n\r\n');
    await next.until(/"health":"true"/);
  });

  it('picks half the open-file limit when --max-connections is 0', () => {
    const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            400                  524288               files\n';
    expect(parseOpenFileLimit(limits)).toBe(400);
    expect(parseOpenFileLimit('Max open files            unlimited            unlimited            files\n')).toBeUndefined();
    expect(autoMaxConnections(400)).toBe(200);
    expect(autoMaxConnections(1024)).toBe(512);
    expect(autoMaxConnections(1_048_576)).toBe(MAX_AUTO_CONNECTIONS);
    expect(autoMaxConnections(undefined)).toBe(FALLBACK_MAX_CONNECTIONS);
  });
});
