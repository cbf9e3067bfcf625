/**
 * Peer TLS and peer authentication (issue 16): with --peer-client-cert-auth a dialer without a
 * certificate, with one from another CA, an expired one, or (with --peer-cert-allowed-cn) one
 * naming someone else is refused, counted, and logged with its remote address; members with
 * the right certificates exchange messages. The refusals reach the member's metric.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/messages.js';
import { MemberMetrics } from '../../src/server/metrics.js';
import { PeerMetrics } from '../../src/server/peers.js';
import type { PeerTlsOptions } from '../../src/transport/dial.js';
import { TcpTransport } from '../../src/transport/tcp-transport.js';
import type { TransportLogEvent } from '../../src/transport/transport.js';
import { RecordingHandler, waitFor } from '../transport/helpers.js';
import { RawPeer } from '../transport/raw-peer.js';
import { testPki, type Pem } from './certs.js';

const heartbeat = (from: number, to: number): Message => ({ type: 'MsgHeartbeat', from, to, term: 1, commit: 0, context: new Uint8Array() });

describe('peer TLS with --peer-client-cert-auth', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function member(id: number, pem: Pem | undefined, extra: Partial<PeerTlsOptions> = {}) {
    const pki = await testPki();
    const logs: TransportLogEvent[] = [];
    const handler = new RecordingHandler();
    const tls: PeerTlsOptions = { ...(pem ? { cert: pem.cert, key: pem.key } : {}), ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true, ...extra };
    const transport = new TcpTransport({
      id,
      clusterId: 'c1',
      listenUrl: 'https://127.0.0.1:0',
      handler,
      tls,
      backoff: { minMs: 5, maxMs: 40 },
      dialTimeoutMs: 500,
      log: (e) => logs.push(e),
    });
    await transport.start();
    cleanups.push(() => transport.stop());
    return { transport, handler, logs };
  }

  it('delivers between members whose certificates the CA signed and whose CN is allowed', async () => {
    const pki = await testPki();
    const a = await member(1, pki.member, { allowedCn: 'member' });
    const b = await member(2, pki.member, { allowedCn: 'member' });
    a.transport.addPeer(2, [b.transport.url]);
    b.transport.addPeer(1, [a.transport.url]);
    await waitFor(() => a.transport.stats().peers[0]?.active === true, 'a stream from 1 to 2');
    a.transport.send([heartbeat(1, 2)]);
    await waitFor(() => b.handler.messages.length === 1, 'delivery');
    expect(b.transport.stats().refusedConnections).toBe(0);
  });

  it.each([
    ['no certificate', undefined, /TLS handshake with a peer failed/],
    ['a certificate from another CA', 'stranger' as const, /TLS handshake with a peer failed/],
    ['an expired certificate', 'expired' as const, /TLS handshake with a peer failed/],
    ['a valid certificate whose CN is not --peer-cert-allowed-cn', 'alice' as const, /CN "alice" is not the allowed "member" \(--peer-cert-allowed-cn\)/],
  ])('refuses a dialer with %s, counts it and logs its address', async (_what, name, message) => {
    const pki = await testPki();
    const b = await member(2, pki.member, { allowedCn: 'member' });
    const forged = await member(1, name === undefined ? undefined : pki[name]);
    forged.transport.addPeer(2, [b.transport.url]);
    b.transport.addPeer(1, [forged.transport.url]);
    forged.transport.send([heartbeat(1, 2)]);
    await waitFor(() => b.transport.stats().refusedConnections > 0, 'a refused connection');
    const line = b.logs.find((e) => message.test(e.msg));
    expect(line?.msg).toMatch(/\(from 127\.0\.0\.1:\d+\)$/);
    expect(b.handler.messages).toEqual([]);
    const metrics = new MemberMetrics();
    new PeerMetrics(metrics).update(b.transport.stats());
    const counted = (await metrics.peerRejected.get()).values.find((v) => v.labels.reason === 'handshake');
    expect(counted?.value).toBe(b.transport.stats().refusedConnections);
  });
});

describe('TcpTransport.reloadTls (rotated peer certificates)', () => {
  it('presents and verifies with the new certificates from the next handshake; a mismatched pair changes nothing', async () => {
    const pki = await testPki();
    const verify = { requestCert: true, rejectUnauthorized: true };
    const handler = new RecordingHandler();
    const b = new TcpTransport({ id: 2, clusterId: 'c1', listenUrl: 'https://127.0.0.1:0', handler, tls: { cert: pki.member.cert, key: pki.member.key, ca: pki.ca.cert, ...verify } });
    await b.start();
    // The dialer already lives in the new PKI (another CA).
    const a = new TcpTransport({
      id: 1,
      clusterId: 'c1',
      listenUrl: 'https://127.0.0.1:0',
      handler: new RecordingHandler(),
      tls: { cert: pki.otherMember.cert, key: pki.otherMember.key, ca: pki.otherCa.cert, ...verify },
      backoff: { minMs: 5, maxMs: 40 },
      dialTimeoutMs: 500,
    });
    await a.start();
    try {
      b.addPeer(1, [a.url]);
      a.addPeer(2, [b.url]);
      await waitFor(() => b.stats().refusedConnections > 0, 'a refused handshake before the rotation');
      expect(() => b.reloadTls({ cert: pki.member.cert, key: pki.otherMember.key, ca: pki.otherCa.cert, ...verify })).toThrow();
      b.reloadTls({ cert: pki.otherMember.cert, key: pki.otherMember.key, ca: pki.otherCa.cert, ...verify });
      await waitFor(() => a.stats().peers[0]?.active === true, 'a stream after the rotation', 10_000);
      a.send([heartbeat(1, 2)]);
      await waitFor(() => handler.messages.length === 1, 'delivery after the rotation');
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 20_000);
});

describe('a raft message claiming another member', () => {
  it('closes the stream, delivers nothing and is counted as reason="protocol"', async () => {
    const handler = new RecordingHandler();
    const b = new TcpTransport({ id: 2, clusterId: 'c1', listenUrl: 'http://127.0.0.1:0', handler });
    await b.start();
    try {
      b.addPeer(1, ['http://127.0.0.1:1']);
      b.addPeer(3, ['http://127.0.0.1:1']);
      const peer = await RawPeer.connect(b.url);
      peer.hello(1, 2);
      peer.frame({ k: 'msgs', msgs: [heartbeat(3, 2)] }); // the stream is member 1's
      await peer.closed;
      expect(handler.messages).toEqual([]);
      const metrics = new MemberMetrics();
      new PeerMetrics(metrics).update(b.stats());
      const counted = (await metrics.peerRejected.get()).values.find((v) => v.labels.reason === 'protocol');
      expect(counted?.value).toBe(1);
    } finally {
      await b.stop();
    }
  });
});
