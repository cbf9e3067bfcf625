/**
 * --grpc-keepalive-min-time as etcd 3.4 enforces it (grpc-go's EnforcementPolicy, PermitWithoutStream
 * false): a raw HTTP/2 client pinging too often is sent GOAWAY ENHANCE_YOUR_CALM "too_many_pings"
 * on its fourth ping; one pinging within the limit, or whose pings the server's answers
 * interleave, is kept. Every case runs against cairn and, where installed, etcd with the same flag.
 */
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PingStrikes } from '../../src/grpc/ping-policy.js';
import { startNode, type CairnNode } from '../../src/index.js';
import { freePort } from '../e2e/processes.js';
import { startEtcd, type Endpoints } from './servers.js';

describe('PingStrikes (grpc-go handlePing, on a clock)', () => {
  it('strikes pings closer than min-time with a stream open; the third strike sends the client away', () => {
    const p = new PingStrikes(1_000);
    expect([0, 100, 200, 300].map((t) => p.received(t, 1))).toEqual([false, false, false, true]);
    const spaced = new PingStrikes(1_000);
    expect([0, 1_000, 2_000, 3_000, 4_000].map((t) => spaced.received(t, 1))).toEqual([false, false, false, false, false]);
  });

  it('without an open stream any ping within two hours of the last is a strike', () => {
    const p = new PingStrikes(1_000);
    expect([0, 10_000, 20_000, 30_000].map((t) => p.received(t, 0))).toEqual([false, false, false, true]);
    const idle = new PingStrikes(1_000);
    expect([0, 7_200_000, 14_400_000, 21_600_000].map((t) => idle.received(t, 0))).toEqual([false, false, false, false]);
  });

  it('the server sending anything forgives the strikes so far', () => {
    const p = new PingStrikes(1_000);
    expect([0, 100, 200].map((t) => p.received(t, 1))).toEqual([false, false, false]);
    p.sent();
    expect([300, 400, 500].map((t) => p.received(t, 1))).toEqual([false, false, false]);
    expect(p.received(600, 1)).toBe(true);
  });

  it('min-time 0 is grpc-go default policy of five minutes (etcd installs none then)', () => {
    const p = new PingStrikes(0);
    expect([0, 299_000, 598_000, 897_000].map((t) => p.received(t, 1))).toEqual([false, false, false, true]);
  });
});

interface Outcome {
  readonly acks: number;
  readonly goaway?: { code: number; lastStreamId: number; data: string };
  readonly closed: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A watch stream that sends nothing, so the server has nothing to answer (and so forgives nothing). */
function openSilentWatch(session: ClientHttp2Session): void {
  const stream = session.request({ ':method': 'POST', ':path': '/etcdserverpb.Watch/Watch', 'content-type': 'application/grpc', te: 'trailers' });
  stream.on('error', () => undefined);
}

/** One Maintenance.Status call (an empty message), answered with HEADERS, DATA and trailers. */
function status(session: ClientHttp2Session): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': '/etcdserverpb.Maintenance/Status', 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('error', reject);
    stream.on('data', () => undefined);
    stream.on('end', resolve);
    stream.end(Buffer.alloc(5));
  });
}

/** Pings `count` times, `intervalMs` apart (after `between`, when given), and says what the server did. */
async function pingLoop(host: string, count: number, intervalMs: number, opts: { stream?: boolean; between?: (s: ClientHttp2Session) => Promise<void> } = {}): Promise<Outcome> {
  const session = connect(`http://${host}`);
  let goaway: Outcome['goaway'];
  session.on('goaway', (code, lastStreamId, data) => {
    goaway ??= { code, lastStreamId, data: data?.toString() ?? '' };
  });
  session.on('error', () => undefined);
  let acks = 0;
  try {
    await new Promise((resolve, reject) => session.once('connect', resolve).once('error', reject));
    if (opts.stream) openSilentWatch(session);
    for (let i = 0; i < count && !session.destroyed; i++) {
      if (opts.between) await opts.between(session);
      session.ping((err) => {
        if (err === null) acks++;
      });
      await sleep(intervalMs);
    }
    await sleep(200);
    return { acks, closed: session.destroyed || session.closed, ...(goaway ? { goaway } : {}) };
  } finally {
    session.destroy();
  }
}

const TOO_MANY_PINGS = { code: constants.NGHTTP2_ENHANCE_YOUR_CALM, data: 'too_many_pings' };

describe.each(['cairn', 'etcd'] as const)('--grpc-keepalive-min-time 1s on %s', (kind) => {
  let host: string | undefined;
  let stop: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    if (kind === 'etcd') {
      const etcd: Endpoints | undefined = await startEtcd(['--grpc-keepalive-min-time', '1s']);
      host = etcd?.hosts[0];
      stop = async () => etcd?.stop();
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'cairn-ping-policy-'));
    const url = `http://127.0.0.1:${await freePort()}`;
    const peer = `http://127.0.0.1:${await freePort()}`;
    const node: CairnNode = await startNode({
      http: true, dataDir: join(dir, 'm'), listenClientUrls: [url], advertiseClientUrls: [url], listenPeerUrls: [peer], initialAdvertisePeerUrls: [peer],
      initialCluster: new Map([['default', [peer]]]), heartbeatIntervalMs: 10, electionTimeoutMs: 100, logger: false,
      grpcKeepaliveMinTimeMs: 1_000,
    });
    host = url.slice('http://'.length);
    stop = async () => {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    };
  }, 30_000);
  afterAll(() => stop());

  it('a client pinging every 100 ms without a stream gets GOAWAY 11 too_many_pings on its fourth ping', async (t) => {
    if (host === undefined) return t.skip();
    const out = await pingLoop(host, 10, 100);
    expect(out).toMatchObject({ goaway: { ...TOO_MANY_PINGS, lastStreamId: 0 }, closed: true });
    expect(out.acks).toBe(4);
  });

  it('so does one pinging every 100 ms on a silent watch stream (GOAWAY names the stream)', async (t) => {
    if (host === undefined) return t.skip();
    const out = await pingLoop(host, 10, 100, { stream: true });
    expect(out).toMatchObject({ goaway: { ...TOO_MANY_PINGS, lastStreamId: 1 }, closed: true });
  });

  it('a client pinging every 1.2 s with a stream open is kept', async (t) => {
    if (host === undefined) return t.skip();
    const out = await pingLoop(host, 5, 1_200, { stream: true });
    expect(out).toEqual({ acks: 5, closed: false });
  }, 15_000);

  it('a client pinging every 100 ms between calls the server answers is kept', async (t) => {
    if (host === undefined) return t.skip();
    const out = await pingLoop(host, 10, 100, { between: status });
    expect(out).toEqual({ acks: 10, closed: false });
  });
});
