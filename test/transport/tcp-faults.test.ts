/** TcpTransport behaviour under hostile bytes, stuck peers, TLS, and repeated refusals. */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/messages.js';
import { crc32c } from '../../src/util/crc.js';
import { TcpTransport, type TcpTransportOptions } from '../../src/transport/tcp-transport.js';
import type { TransportLogEvent } from '../../src/transport/transport.js';
import { sampleMessages } from './arbitraries.js';
import { RecordingHandler, patternBytes, recordStreamFailure, waitFor } from './helpers.js';
import { RawPeer, stuckPeer } from './raw-peer.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

describe('TcpTransport faults', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function tcp(id: number, extra: Partial<TcpTransportOptions> = {}) {
    const handler = new RecordingHandler();
    const transport = new TcpTransport({
      id,
      clusterId: 'cluster-a',
      listenUrl: 'http://127.0.0.1:0',
      handler,
      backoff: { minMs: 5, maxMs: 40 },
      pingIntervalMs: 20,
      dialTimeoutMs: 200,
      ...extra,
    });
    await transport.start();
    cleanups.push(() => transport.stop());
    return { transport, handler };
  }

  async function raw(url: string): Promise<RawPeer> {
    const peer = await RawPeer.connect(url);
    cleanups.push(() => peer.destroy());
    return peer;
  }

  const heartbeat = (from: number, to: number): Message => ({ type: 'MsgHeartbeat', from, to, term: 1, commit: 0, context: new Uint8Array() });

  it('drops a connection that sends malformed frames, counts it, and keeps serving good peers', async () => {
    const b = await tcp(2);
    b.transport.addPeer(1, ['http://127.0.0.1:1']);
    b.transport.addPeer(3, ['http://127.0.0.1:1']);
    const bad: ((p: RawPeer) => void)[] = [
      (p) => p.raw(patternBytes(300, 5)), // garbage instead of hello
      (p) => (p.hello(1, 2), p.raw(Uint8Array.from([0xff, 0xff, 0xff, 0xff]))), // 4 GiB length prefix
      (p) => (p.hello(1, 2), p.frame({ k: 'msgs', msgs: [{ type: 'MsgHup', from: 1, to: 2, term: 1 }] })),
      (p) => (p.hello(1, 2), p.frame({ k: 'msgs', msgs: [{ ...heartbeat(1, 2), commit: -5 }] })),
      (p) => (p.hello(1, 2), p.frame({ k: 'msgs', msgs: [{ type: 'MsgApp', from: 1, to: 2, term: 1, index: 0, logTerm: 0, commit: 0, entries: 'x'.repeat(100) }] })),
      (p) => (p.hello(1, 2), p.frame({ k: 'msgs', msgs: [heartbeat(3, 2)] })), // claims to be someone else
      (p) => (p.hello(1, 2), p.frame({ k: 'snapChunk', data: new Uint8Array(3), crc: 0 })), // wrong stream
      (p) => (p.hello(1, 2), p.raw(Uint8Array.from([0, 0, 0, 5, 0xdd, 0xff, 0xff, 0xff, 0xff]))), // array of 4G
      (p) => p.frame({ k: 'hello', version: 1, clusterId: 'x'.repeat(5000), from: 1, to: 2, stream: 'raft' }),
    ];
    for (const [i, attack] of bad.entries()) {
      const p = await raw(b.transport.url);
      attack(p);
      await p.closed;
      expect(b.transport.stats().malformedFrames, `attack ${i}`).toBe(i + 1);
    }
    expect(b.handler.messages).toEqual([]);
    // A well-behaved peer still gets through, and valid frames before a bad one were delivered.
    const good = await raw(b.transport.url);
    good.hello(1, 2);
    good.frame({ k: 'msgs', msgs: [heartbeat(1, 2)] });
    good.frame({ k: 'msgs', msgs: [{ type: 'MsgNope' }] });
    await good.closed;
    expect(b.handler.messages).toEqual([heartbeat(1, 2)]);
    const a = await tcp(1);
    a.transport.addPeer(2, [b.transport.url]);
    a.transport.send([heartbeat(1, 2)]);
    await waitFor(() => b.handler.messages.length === 2, 'delivery from a real peer');
  });

  it('closes a connection that never says hello', async () => {
    const b = await tcp(2, { dialTimeoutMs: 20 });
    const p = await raw(b.transport.url);
    await p.closed;
    expect(p.frames).toEqual([]);
  });

  /** True when the listener closed `p` within `ms` (false: still open). */
  const closedWithin = (p: RawPeer, ms: number) =>
    Promise.race([p.closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

  it('reads only small frames before the handshake, full-size ones after it', async () => {
    // Handshake timeout 5 s: every close below must come from the frame bound, not the timer.
    const b = await tcp(2, { dialTimeoutMs: 1000 });
    b.transport.addPeer(1, ['http://127.0.0.1:1']);
    const header = (n: number) => Uint8Array.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
    const big = await raw(b.transport.url);
    big.raw(header(16 * 1024 * 1024 - 1)); // the old pre-handshake allowance: 16 MiB buffered per stranger
    big.raw(patternBytes(64 * 1024, 3));
    expect(await closedWithin(big, 2000)).toBe(true);
    expect(b.transport.stats().malformedFrames).toBe(1);
    expect(b.transport.stats().lastInboundError?.message).toMatch(/frame length 16777215 exceeds the limit of 8192/);
    const justOver = await raw(b.transport.url);
    justOver.raw(header(8193));
    expect(await closedWithin(justOver, 2000)).toBe(true);
    expect(b.transport.stats().malformedFrames).toBe(2);
    // After welcome the full limit applies: a 1 MiB batch is delivered.
    const good = await raw(b.transport.url);
    good.hello(1, 2);
    await waitFor(() => good.frames.length === 1, 'welcome');
    const entry = { term: 1, index: 1, type: 'normal', data: patternBytes(1024 * 1024, 4) };
    good.frame({ k: 'msgs', msgs: [{ type: 'MsgApp', from: 1, to: 2, term: 1, index: 0, logTerm: 0, commit: 0, entries: [entry] }] });
    await waitFor(() => b.handler.messages.length === 1, 'the 1 MiB batch');
    expect(b.transport.stats().malformedFrames).toBe(2);
  });

  it('closes connections over the handshake limit at once and logs them and timeouts with the remote address', async () => {
    const logs: TransportLogEvent[] = [];
    const b = await tcp(2, { dialTimeoutMs: 200, limits: { maxPendingHandshakes: 3 }, log: (e) => logs.push(e) });
    b.transport.addPeer(1, ['http://127.0.0.1:1']);
    // Local ports are read at once: a socket closed by the listener forgets them.
    const ports = new Map<RawPeer, number | undefined>();
    const connect = async () => {
      const p = await raw(b.transport.url);
      ports.set(p, p.socket.localPort);
      return p;
    };
    const silent = [await connect(), await connect(), await connect()];
    const over = await connect();
    const port = ports.get(over);
    // Closed at once (the log line says why; the handshake timer would take 1 s).
    expect(await closedWithin(over, 2000)).toBe(true);
    expect(logs.some((e) => e.msg.includes(`127.0.0.1:${port}`) && /3 connections are already in their handshake/.test(e.msg))).toBe(true);
    // A connection that completed its handshake frees its slot.
    silent[0]!.hello(1, 2);
    await waitFor(() => silent[0]!.frames.length === 1, 'welcome');
    const next = await connect();
    expect(await closedWithin(next, 200)).toBe(false);
    // The silent ones time out (5 × dial timeout), each logged with its address; then a real peer gets in.
    for (const [p, local] of [silent[1]!, silent[2]!, next].map((c) => [c, ports.get(c)] as const)) {
      await p.closed;
      expect(logs.map((e) => e.msg)).toContain(`closed peer connection from 127.0.0.1:${local}: no handshake within 1000 ms`);
    }
    const a = await tcp(1);
    a.transport.addPeer(2, [b.transport.url]);
    a.transport.send([heartbeat(1, 2)]);
    await waitFor(() => b.handler.messages.length === 1, 'delivery from a real peer');
  });

  it('rejects a snapshot chunk whose CRC does not match, failing the member-side stream', async () => {
    const b = await tcp(2);
    b.transport.addPeer(1, ['http://127.0.0.1:1']);
    const seen = recordStreamFailure(b.handler);
    const p = await raw(b.transport.url);
    p.hello(1, 2, 'snapshot');
    const snap = sampleMessages(1, 2).find((m) => m.type === 'MsgSnap');
    p.frame({ k: 'snapBegin', msg: snap });
    const good = patternBytes(1000, 1);
    p.frame({ k: 'snapChunk', data: good, crc: crc32c(good) });
    p.frame({ k: 'snapChunk', data: good, crc: crc32c(good) ^ 1 });
    await p.closed;
    await waitFor(() => seen.error !== undefined, 'the stream to fail');
    expect((seen.error as { code?: string }).code).toBe('Corrupt');
    expect(b.transport.stats().malformedFrames).toBe(1);
  });

  it('fails the member-side stream when the sender disappears mid-snapshot', async () => {
    const b = await tcp(2);
    b.transport.addPeer(1, ['http://127.0.0.1:1']);
    const seen = recordStreamFailure(b.handler);
    const p = await raw(b.transport.url);
    p.hello(1, 2, 'snapshot');
    p.frame({ k: 'snapBegin', msg: sampleMessages(1, 2).find((m) => m.type === 'MsgSnap') });
    const chunk = patternBytes(100, 2);
    p.frame({ k: 'snapChunk', data: chunk, crc: crc32c(chunk) });
    await waitFor(() => p.frames.length === 1, 'welcome');
    p.destroy();
    await waitFor(() => seen.error !== undefined, 'the stream to fail');
    expect((seen.error as { code?: string }).code).toBe('TimeoutDueToConnectionLost');
  });

  it('abandons a snapshot whose receiver stops reading, and closes the data source', async () => {
    const a = await tcp(1, { snapshotStallTimeoutMs: 200 });
    const b = await tcp(2);
    a.transport.addPeer(2, [b.transport.url]);
    b.transport.addPeer(1, [a.transport.url]);
    b.handler.snapshotBehaviour = () => new Promise(() => {}); // never reads, never answers
    let closed = false;
    async function* source(): AsyncIterable<Uint8Array> {
      try {
        for (let i = 0; i < 400; i++) yield new Uint8Array(256 * 1024);
      } finally {
        closed = true;
      }
    }
    const snap = sampleMessages(1, 2).find((m) => m.type === 'MsgSnap');
    if (snap?.type !== 'MsgSnap') throw new Error('no sample MsgSnap');
    expect(await a.transport.sendSnapshot(snap, source())).toBe(false);
    expect(closed).toBe(true);
    expect(a.transport.stats().peers[0]?.lastError?.message).toMatch(/stopped reading the snapshot/);
  });

  it('reports a stuck peer unreachable once its bounded queue fills', async () => {
    const stuck = await stuckPeer();
    cleanups.push(() => stuck.close());
    const limits = { maxQueuedMessages: 50, maxQueuedBytes: 512 * 1024 };
    const a = await tcp(1, { limits });
    a.transport.addPeer(2, [stuck.url]);
    await waitFor(() => a.transport.stats().peers[0]?.active === true, 'handshake with the stuck peer');
    const entry = patternBytes(32 * 1024, 9);
    const deadline = Date.now() + 5000;
    let index = 0;
    while (!a.handler.unreachable.includes(2)) {
      if (Date.now() > deadline) throw new Error('queue never filled');
      const batch: Message[] = [];
      for (let i = 0; i < 20; i++, index++) {
        batch.push({ type: 'MsgApp', from: 1, to: 2, term: 1, index, logTerm: 1, commit: 0, entries: [{ term: 1, index: index + 1, type: 'normal', data: entry }] });
      }
      a.transport.send(batch);
      const s = a.transport.stats().peers[0]!;
      expect(s.queuedMessages).toBeLessThanOrEqual(limits.maxQueuedMessages);
      expect(s.queuedBytes).toBeLessThanOrEqual(limits.maxQueuedBytes);
      await new Promise((r) => setImmediate(r));
    }
    expect(a.transport.stats().peers[0]!.droppedMessages).toBeGreaterThan(0);
  });

  it('re-dials a peer that stops answering pings', async () => {
    const stuck = await stuckPeer();
    cleanups.push(() => stuck.close());
    const logs: TransportLogEvent[] = [];
    const a = await tcp(1, { pingIntervalMs: 10, log: (e) => logs.push(e) });
    a.transport.addPeer(2, [stuck.url]);
    // Normally ~100 ms; the wait is generous because it once took >5 s on a 2-core machine at load 17.
    await waitFor(() => (a.transport.stats().peers[0]?.connects ?? 0) >= 2, 'a second connection', 20_000);
    expect(logs.some((e) => e.peer === 2 && /did not answer pings/.test(e.msg))).toBe(true);
  });

  it('logs a cluster mismatch once while it keeps retrying', async () => {
    const logs: TransportLogEvent[] = [];
    const a = await tcp(1, { log: (e) => logs.push(e) });
    const b = await tcp(2, { clusterId: 'cluster-b' });
    b.transport.addPeer(1, [a.transport.url]);
    a.transport.addPeer(2, [b.transport.url]);
    await waitFor(() => b.transport.stats().refusedConnections >= 4, 'several refused attempts');
    const mismatches = logs.filter((e) => e.error?.code === 'ClusterIdMismatch');
    // One line for our refused dials to 2, one for refusing 2's dials to us; none per retry.
    expect(mismatches.filter((e) => e.peer === 2)).toHaveLength(1);
    expect(mismatches.filter((e) => e.peer === undefined)).toHaveLength(1);
    expect(mismatches[0]?.msg).toMatch(/cluster ID mismatch.*cluster-a.*cluster-b|cluster ID mismatch.*cluster-b.*cluster-a/);
  });

  it('measures the round-trip time on an active stream', async () => {
    const a = await tcp(1);
    const b = await tcp(2);
    a.transport.addPeer(2, [b.transport.url]);
    b.transport.addPeer(1, [a.transport.url]);
    await waitFor(() => a.transport.stats().peers[0]?.rttMs !== undefined, 'an rtt sample');
    const rtt = a.transport.stats().peers[0]!.rttMs!;
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(rtt).toBeLessThan(1000);
  });

  it('speaks TLS when the peer URL is https, and a plain dialer cannot get in', async () => {
    const tls = { key: fixture('peer-key.pem'), cert: fixture('peer-cert.pem'), ca: fixture('peer-cert.pem'), requestCert: true };
    const a = await tcp(1, { listenUrl: 'https://127.0.0.1:0', tls });
    const b = await tcp(2, { listenUrl: 'https://127.0.0.1:0', tls });
    expect(b.transport.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    a.transport.addPeer(2, [b.transport.url]);
    b.transport.addPeer(1, [a.transport.url]);
    a.transport.send(sampleMessages(1, 2).slice(0, 3));
    await waitFor(() => b.handler.messages.length >= 3 || a.handler.unreachable.length > 0, 'tls delivery');
    if (b.handler.messages.length < 3) {
      // The first sends can race the handshake; resend once the stream is up.
      await waitFor(() => a.transport.stats().peers[0]?.active === true, 'tls stream');
      a.transport.send(sampleMessages(1, 2).slice(0, 3));
      await waitFor(() => b.handler.messages.length >= 3, 'tls delivery');
    }
    expect(b.handler.messages.slice(-3)).toEqual(sampleMessages(1, 2).slice(0, 3));
    const plain = await tcp(3);
    plain.transport.addPeer(2, [b.transport.url.replace('https', 'http')]);
    await waitFor(() => plain.transport.stats().peers[0]?.lastError !== undefined, 'plain dialer failure');
    expect(plain.transport.stats().peers[0]?.active).toBe(false);
  });
});
