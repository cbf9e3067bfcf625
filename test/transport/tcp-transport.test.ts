import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/messages.js';
import { TcpTransport } from '../../src/transport/tcp-transport.js';
import { freePort } from '../e2e/processes.js';
import { sampleMessages } from './arbitraries.js';
import { transportConformance } from './conformance.js';
import { RecordingHandler, waitFor } from './helpers.js';

transportConformance('TcpTransport', {
  create: ({ id, clusterId, handler, address, limits }) => {
    const transport = new TcpTransport({
      id,
      clusterId,
      handler,
      limits,
      listenUrl: address ?? 'http://127.0.0.1:0',
      backoff: { minMs: 5, maxMs: 40 },
      pingIntervalMs: 50,
    });
    return { transport, url: () => transport.url };
  },
});

describe('TcpTransport redial', () => {
  it('dials a peer at once when that peer reaches us, instead of waiting out its backoff', async () => {
    // A member added before it started (a joiner) refuses our first dials, so our backoff to it
    // grows; when it starts it dials us, and that is the moment to dial back (the join bench saw
    // 0.4–1 s lost per join waiting for the next attempt).
    const portB = await freePort();
    const handlerA = new RecordingHandler();
    const handlerB = new RecordingHandler();
    const slow = { minMs: 10_000, maxMs: 10_000 };
    const a = new TcpTransport({ id: 1, clusterId: 'c', handler: handlerA, listenUrl: 'http://127.0.0.1:0', backoff: slow, pingIntervalMs: 50 });
    const b = new TcpTransport({ id: 2, clusterId: 'c', handler: handlerB, listenUrl: `http://127.0.0.1:${portB}`, backoff: slow, pingIntervalMs: 50 });
    try {
      await a.start();
      a.addPeer(2, [`http://127.0.0.1:${portB}`]);
      await waitFor(() => a.stats().peers.some((p) => p.id === 2 && p.lastError !== undefined), 'the first dial to fail');
      await b.start();
      b.addPeer(1, [a.url]);
      const msg = sampleMessages(1, 2).find((m) => m.type === 'MsgHeartbeat') as Message;
      const deadline = Date.now() + 3000;
      while (handlerB.messages.length === 0) {
        expect(Date.now(), 'A still waits out its 10 s backoff to B').toBeLessThan(deadline);
        a.send([msg]);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(handlerB.messages[0]).toEqual(msg);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
