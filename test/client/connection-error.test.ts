/**
 * A request that gets no answer says why (refused, reset, TLS, DNS, timeout), in etcdctl's
 * words; NoLeader only when a member answered so; a write whose fate is unknown stays
 * OutcomeUnknownError.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, OutcomeUnknownError } from '../../src/client/index.js';
import { ConnectionError } from '../../src/client/connection-error.js';
import { isKvError } from '../../src/util/errors.js';
import { freePort } from '../e2e/processes.js';

const fixture = (name: string) => readFileSync(new URL(`../transport/fixtures/${name}`, import.meta.url));
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

type Listener = Server | ReturnType<typeof createNetServer>;
async function listen(server: Listener, scheme = 'http'): Promise<string> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const client = (endpoints: string[], timeoutMs = 2000) => new Client({ endpoints, timeoutMs, retryRounds: 1 });
const put = (c: Client) => c.put({ key: new Uint8Array([107]), value: new Uint8Array([118]) });

async function failure(p: Promise<unknown>): Promise<Error & { code?: string }> {
  const err = await p.then(() => undefined, (e: unknown) => e as Error);
  expect(err, 'the request should have failed').toBeInstanceOf(Error);
  return err as Error & { code?: string };
}

describe('client connection errors', () => {
  it('a refused connection says "connection refused", not "no leader"', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    for (const call of [(c: Client) => c.get('k'), put]) {
      const err = await failure(call(client([dead])));
      expect(err).toBeInstanceOf(ConnectionError);
      expect(err.code).toBe('ConnectionFailed');
      expect((err as ConnectionError).failure).toBe('refused');
      expect(err.message).toMatch(/dial tcp 127\.0\.0\.1:\d+: connect: connection refused/);
      expect(err.message).not.toMatch(/no leader/);
    }
  });

  it('an unknown host says "no such host"', async () => {
    const err = await failure(client(['http://cairn-test-no-such-host.invalid:2379']).get('k'));
    expect((err as ConnectionError).failure).toBe('dns');
    expect(err.message).toContain('lookup cairn-test-no-such-host.invalid: no such host');
  });

  it('a reset connection: a read says so, a write is outcome-unknown', async () => {
    const url = await listen(createNetServer((s) => s.once('data', () => s.resetAndDestroy())));
    const read = await failure(client([url]).get('k'));
    expect((read as ConnectionError).failure).toBe('reset');
    expect(read.message).toContain('connection reset by peer');
    const write = await failure(put(client([url])));
    expect(write).toBeInstanceOf(OutcomeUnknownError);
    expect(write.message).toMatch(/may or may not have been applied \(connection error: .*connection reset by peer/);
  });

  it('an untrusted certificate is a TLS handshake failure', async () => {
    const server = createHttpsServer({ cert: fixture('peer-cert.pem'), key: fixture('peer-key.pem') }, (_q, r) => r.end('{}'));
    const url = await listen(server, 'https');
    const err = await failure(client([url]).get('k'));
    expect((err as ConnectionError).failure).toBe('tls');
    expect(err.message).toContain('authentication handshake failed: x509: certificate signed by unknown authority');
  });

  it('no answer in time is "context deadline exceeded"; a write is outcome-unknown', async () => {
    const url = await listen(createHttpServer(() => undefined));
    const read = await failure(client([url], 200).get('k'));
    expect(read.code).toBe('DeadlineExceeded');
    expect(read.message).toMatch(/^context deadline exceeded/);
    const write = await failure(put(client([url], 200)));
    expect(write).toBeInstanceOf(OutcomeUnknownError);
    expect((write as OutcomeUnknownError).cause).toBeInstanceOf(ConnectionError);
  });

  it('NoLeader only when a member said so, even if another endpoint was refused after it', async () => {
    const noLeader = createHttpServer((_q, r) => {
      r.writeHead(503, { 'content-type': 'application/json' });
      r.end(JSON.stringify({ error: 'etcdserver: no leader', code: 14, message: 'etcdserver: no leader' }));
    });
    const url = await listen(noLeader);
    const dead = `http://127.0.0.1:${await freePort()}`;
    const err = await failure(client([url, dead]).get('k'));
    expect(isKvError(err, 'NoLeader')).toBe(true);
  });
});
