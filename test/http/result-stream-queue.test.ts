/**
 * ResultStream.queueParts (issue 18): messages queued in one turn of the event loop leave as one
 * chunk, in order; a big message keeps its place; end and fail write what is queued first; a
 * reader that stops reading holds the producer back.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultStream } from '../../src/http/stream.js';
import { KvError } from '../../src/util/errors.js';
import { RawHttp } from './raw-http.js';

let server: Server;
let port = 0;
/** What the next request runs against its response. */
let handler: (res: ServerResponse) => void = () => undefined;

beforeAll(async () => {
  server = createServer((_req, res) => handler(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The data chunks of a chunked body, in order (the terminating empty chunk left out). */
function chunks(raw: string): string[] {
  let body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  const out: string[] = [];
  for (;;) {
    const eol = body.indexOf('\r\n');
    const size = parseInt(body.slice(0, eol), 16);
    if (!(size > 0)) return out;
    out.push(body.slice(eol + 2, eol + 2 + size));
    body = body.slice(eol + 2 + size + 2);
  }
}

async function exchange(run: (out: ResultStream) => void): Promise<string[]> {
  handler = (res) => run(new ResultStream(res));
  const c = await RawHttp.connect(port);
  c.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  await c.until(/\r\n0\r\n\r\n$/, 5000);
  c.socket.destroy();
  return chunks(c.text);
}

const line = (json: string) => `{"result":${json}}\n`;

describe('ResultStream.queueParts', () => {
  it('sends the messages queued in one turn as one chunk, in order', async () => {
    const got = await exchange((out) => {
      for (let i = 0; i < 50; i++) expect(out.queueParts([`{"n":`, String(i), '}'])).toBeUndefined();
      setTimeout(() => out.end(), 20);
    });
    expect(got).toEqual([Array.from({ length: 50 }, (_, i) => line(`{"n":${i}}`)).join('')]);
  });

  it('keeps a big message between the small ones around it', async () => {
    const big = Array.from({ length: 400 }, (_, i) => `"${String(i).padStart(100, 'x')}"`);
    const got = await exchange((out) => {
      void (async () => {
        out.queueParts(['1']);
        await out.queueParts(['[', big.join(','), ']']);
        out.queueParts(['2']);
        out.end();
      })();
    });
    expect(got.join('')).toBe(line('1') + line(`[${big.join(',')}]`) + line('2'));
  });

  it('writes what is queued before the end and before an error chunk', async () => {
    expect(
      await exchange((out) => {
        out.queueParts(['1']);
        out.queueParts(['2']);
        out.end();
      }),
    ).toEqual([line('1') + line('2')]);
    const failed = await exchange((out) => {
      out.queueParts(['1']);
      out.fail(new KvError('NoLeader'));
    });
    expect(failed.join('')).toMatch(/^\{"result":1\}\n\{"error":\{"grpc_code":14,.*"message":"etcdserver: no leader"/);
  });

  it('asks the producer to wait once the reader stops reading, and resumes when it reads', async () => {
    let waited: Promise<void> | undefined;
    let queuedChars = 0;
    const piece = 'y'.repeat(8 * 1024);
    handler = (res) => {
      const out = new ResultStream(res);
      // 64 MiB is far beyond what loopback socket buffers hold: a producer never asked to wait
      // would get there.
      while (waited === undefined && queuedChars < 64 * 2 ** 20) {
        waited = out.queueParts([`"${piece}"`]);
        queuedChars += piece.length;
      }
      void waited?.then(() => out.end());
    };
    const c = await RawHttp.connect(port);
    c.socket.pause();
    c.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    for (let i = 0; i < 200 && waited === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    expect(waited).toBeDefined();
    expect(queuedChars).toBeLessThan(64 * 2 ** 20);
    c.socket.resume();
    await c.until(/\r\n0\r\n\r\n$/, 10_000);
    c.socket.destroy();
    expect(chunks(c.text).join('').length).toBe((queuedChars / piece.length) * line(`"${piece}"`).length);
  });
});
