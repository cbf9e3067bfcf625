/**
 * The contract every Transport implementation passes (TcpTransport and MemoryTransport run it
 * from their own test files), as abstract-level's suite is run by classic-level.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/messages.js';
import type { NodeId } from '../../src/raft/types.js';
import type { MsgSnap, Transport, TransportLimits } from '../../src/transport/transport.js';
import { RecordingHandler, concat, patternBytes, pieces, sameBytes, waitFor } from './helpers.js';
import { sampleMessages as samples } from './arbitraries.js';

export interface TransportUnderTest {
  readonly transport: Transport;
  /** The address peers use (valid after start()). */
  url(): string;
}

export interface CreateOptions {
  readonly id: NodeId;
  readonly clusterId: string;
  readonly handler: RecordingHandler;
  /** Reuse the address of an earlier, stopped transport (a restart). */
  readonly address?: string;
  readonly limits?: Partial<TransportLimits>;
}

export interface TransportFactory {
  create(options: CreateOptions): TransportUnderTest;
}

interface Member {
  readonly id: NodeId;
  readonly handler: RecordingHandler;
  readonly t: TransportUnderTest;
}

export function transportConformance(name: string, factory: TransportFactory): void {
  describe(`${name} conformance`, () => {
    const started: Transport[] = [];
    afterEach(async () => {
      await Promise.all(started.splice(0).map((t) => t.stop()));
    });

    async function member(id: NodeId, clusterId = 'cluster-a', extra: Partial<CreateOptions> = {}): Promise<Member> {
      const handler = new RecordingHandler();
      const t = factory.create({ id, clusterId, handler, ...extra });
      await t.transport.start();
      started.push(t.transport);
      return { id, handler, t };
    }

    function link(a: Member, b: Member): void {
      a.t.transport.addPeer(b.id, [b.t.url()]);
      b.t.transport.addPeer(a.id, [a.t.url()]);
    }

    /** Sends `make()` every few ms until the receiver has it (messages sent while a peer is down are lost). */
    async function sendUntilDelivered(from: Member, to: Member, make: () => Message, what: string): Promise<void> {
      const deadline = Date.now() + 5000;
      const before = to.handler.messages.length;
      while (to.handler.messages.length === before) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        from.t.transport.send([make()]);
        await new Promise((r) => setTimeout(r, 10));
      }
    }

    it('delivers every wire message type intact and in order', async () => {
      const a = await member(1);
      const b = await member(2);
      link(a, b);
      const msgs = samples(1, 2).filter((m) => m.type !== 'MsgSnap');
      a.t.transport.send(msgs);
      await waitFor(() => b.handler.messages.length === msgs.length, 'all sample messages');
      expect(b.handler.messages).toEqual(msgs);
      expect(a.handler.unreachable).toEqual([]);
    });

    it('coalesces the messages sent in one turn into one batch', async () => {
      const a = await member(1);
      const b = await member(2);
      link(a, b);
      await sendUntilDelivered(a, b, () => ({ type: 'MsgHeartbeat', from: 1, to: 2, term: 1, commit: 0, context: new Uint8Array() }), 'first heartbeat');
      const apps: Message[] = [];
      for (let i = 1; i <= 50; i++) {
        apps.push({ type: 'MsgApp', from: 1, to: 2, term: 1, index: i - 1, logTerm: 1, commit: 0, entries: [{ term: 1, index: i, type: 'normal', data: patternBytes(100, i) }] });
      }
      for (const m of apps) a.t.transport.send([m]);
      await waitFor(() => b.handler.messages.filter((m) => m.type === 'MsgApp').length === apps.length, 'the appends');
      // Stray heartbeats from the warm-up may still arrive; the appends came in one batch, alone.
      const withApps = b.handler.batches.filter((batch) => batch.some((m) => m.type === 'MsgApp'));
      expect(withApps).toEqual([apps]);
    });

    it('reports an unknown peer unreachable without throwing', async () => {
      const a = await member(1);
      expect(() => a.t.transport.send(samples(1, 9).slice(0, 3))).not.toThrow();
      await waitFor(() => a.handler.unreachable.includes(9), 'unreachable report');
    });

    it('reports a peer that is not running unreachable and surfaces lastError', async () => {
      const a = await member(1);
      const b = await member(2);
      link(a, b);
      const address = b.t.url();
      await b.t.transport.stop();
      a.t.transport.send(samples(1, 2).slice(0, 2));
      await waitFor(() => a.handler.unreachable.includes(2), 'unreachable report');
      await waitFor(() => a.t.transport.stats().peers.find((p) => p.id === 2)?.lastError !== undefined, 'lastError');
      const peer = a.t.transport.stats().peers.find((p) => p.id === 2);
      expect(peer?.active).toBe(false);
      expect(peer?.urls).toEqual([address]);
    });

    it('refuses a member of another cluster with a clear error on both sides', async () => {
      const a = await member(1, 'cluster-a');
      const b = await member(2, 'cluster-b');
      link(a, b);
      const deadline = Date.now() + 5000;
      while (a.t.transport.stats().peers[0]?.lastError?.code !== 'ClusterIdMismatch') {
        if (Date.now() > deadline) throw new Error('no ClusterIdMismatch reported');
        a.t.transport.send(samples(1, 2).slice(0, 1));
        await new Promise((r) => setTimeout(r, 10));
      }
      const error = a.t.transport.stats().peers[0]?.lastError;
      expect(error?.message).toContain('cluster ID mismatch');
      expect(error?.message).toContain('cluster-b');
      expect(b.handler.messages).toEqual([]);
      const bStats = b.t.transport.stats();
      expect(bStats.refusedConnections).toBeGreaterThan(0);
      expect(bStats.lastInboundError?.code).toBe('ClusterIdMismatch');
      expect(a.t.transport.stats().peers[0]?.active).toBe(false);
    });

    it('refuses a peer the member does not know (removed or not yet added)', async () => {
      const a = await member(1);
      const b = await member(2);
      a.t.transport.addPeer(2, [b.t.url()]);
      const deadline = Date.now() + 5000;
      while (!a.t.transport.stats().peers[0]?.lastError?.message.includes('does not know peer 1')) {
        if (Date.now() > deadline) throw new Error('no unknown-peer refusal reported');
        a.t.transport.send(samples(1, 2).slice(0, 1));
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(b.handler.messages).toEqual([]);
      // Once b adds a, the same stream works (the refusal was not permanent).
      b.t.transport.addPeer(1, [a.t.url()]);
      await sendUntilDelivered(a, b, () => samples(1, 2)[0] as Message, 'delivery after addPeer');
      expect(a.t.transport.stats().peers[0]?.lastError).toBeUndefined();
    });

    it('refuses a peer after removePeer and reports sends to a removed peer unreachable', async () => {
      const a = await member(1);
      const b = await member(2);
      link(a, b);
      await sendUntilDelivered(a, b, () => samples(1, 2)[0] as Message, 'first delivery');
      b.t.transport.removePeer(1);
      a.t.transport.removePeer(2);
      expect(a.t.transport.stats().peers).toEqual([]);
      a.t.transport.send(samples(1, 2).slice(0, 1));
      await waitFor(() => a.handler.unreachable.includes(2), 'unreachable after remove');
      a.t.transport.addPeer(2, [b.t.url()]);
      const deadline = Date.now() + 5000;
      while (!a.t.transport.stats().peers[0]?.lastError?.message.includes('does not know peer 1')) {
        if (Date.now() > deadline) throw new Error('removed member was not refused');
        a.t.transport.send(samples(1, 2).slice(0, 1));
        await new Promise((r) => setTimeout(r, 10));
      }
    });

    it('reconnects after the peer restarts at the same address', async () => {
      const a = await member(1);
      const b = await member(2);
      link(a, b);
      const hb = (): Message => ({ type: 'MsgHeartbeat', from: 1, to: 2, term: 3, commit: 1, context: new Uint8Array([1]) });
      await sendUntilDelivered(a, b, hb, 'delivery before restart');
      const address = b.t.url();
      await b.t.transport.stop();
      // Messages written before the sender notices the close are lost like any TCP segment;
      // keep sending until the transport reports the peer.
      const deadline = Date.now() + 5000;
      while (!a.handler.unreachable.includes(2)) {
        if (Date.now() > deadline) throw new Error('no unreachable report while the peer is down');
        a.t.transport.send([hb()]);
        await new Promise((r) => setTimeout(r, 10));
      }
      const b2 = await member(2, 'cluster-a', { address });
      b2.t.transport.addPeer(1, [a.t.url()]);
      await sendUntilDelivered(a, b2, hb, 'delivery after restart');
      expect(b2.handler.messages[0]).toEqual(hb());
      await waitFor(() => a.t.transport.stats().peers[0]?.active === true, 'active again');
      expect(a.t.transport.stats().peers[0]?.connects).toBeGreaterThanOrEqual(2);
    });

    it('follows a peer to its new address after updatePeer', async () => {
      const a = await member(1);
      const b = await member(2);
      link(a, b);
      const hb = (): Message => ({ type: 'MsgHeartbeat', from: 1, to: 2, term: 4, commit: 2, context: new Uint8Array() });
      await sendUntilDelivered(a, b, hb, 'delivery at the old address');
      await b.t.transport.stop();
      const moved = await member(2);
      moved.t.transport.addPeer(1, [a.t.url()]);
      a.t.transport.updatePeer(2, [moved.t.url()]);
      await sendUntilDelivered(a, moved, hb, 'delivery at the new address');
      expect(a.t.transport.stats().peers[0]?.urls).toEqual([moved.t.url()]);
    });

    it('streams a multi-megabyte snapshot in bounded chunks that arrive intact', async () => {
      const chunkBytes = 64 * 1024;
      const a = await member(1, 'cluster-a', { limits: { snapshotChunkBytes: chunkBytes } });
      const b = await member(2, 'cluster-a', { limits: { snapshotChunkBytes: chunkBytes } });
      link(a, b);
      const data = patternBytes(5 * 1024 * 1024 + 123, 7);
      const msg = samples(1, 2).find((m): m is MsgSnap => m.type === 'MsgSnap') as MsgSnap;
      const ok = await a.t.transport.sendSnapshot(msg, pieces(data, [1000, 300_000, 17, 65536, 1 << 20]));
      expect(ok).toBe(true);
      expect(a.handler.snapshotStatus).toEqual([{ to: 2, ok: true }]);
      expect(b.handler.snapshots).toHaveLength(1);
      const got = b.handler.snapshots[0]!;
      expect(got.msg).toEqual(msg);
      expect(Math.max(...got.chunks.map((c) => c.length))).toBeLessThanOrEqual(chunkBytes);
      expect(sameBytes(concat(got.chunks), data)).toBe(true);
    });

    it('reports a snapshot the receiver refuses as failed', async () => {
      const a = await member(1);
      const b = await member(2);
      link(a, b);
      b.handler.snapshotBehaviour = async (_msg, data) => {
        for await (const chunk of data) if (chunk.length > 0) throw new Error('disk full');
      };
      let closed = false;
      async function* source(): AsyncIterable<Uint8Array> {
        try {
          for (let i = 0; i < 1000; i++) yield patternBytes(64 * 1024, i);
        } finally {
          closed = true;
        }
      }
      const msg = samples(1, 2).find((m): m is MsgSnap => m.type === 'MsgSnap') as MsgSnap;
      expect(await a.t.transport.sendSnapshot(msg, source())).toBe(false);
      expect(a.handler.snapshotStatus).toEqual([{ to: 2, ok: false }]);
      expect(closed).toBe(true);
    });

    it('fails a snapshot to an unknown peer without throwing', async () => {
      const a = await member(1);
      const msg = samples(1, 5).find((m): m is MsgSnap => m.type === 'MsgSnap') as MsgSnap;
      expect(await a.t.transport.sendSnapshot(msg, pieces(patternBytes(10), [5]))).toBe(false);
      expect(a.handler.snapshotStatus).toEqual([{ to: 5, ok: false }]);
    });

    it('moves a MsgSnap given to send() onto the snapshot stream', async () => {
      const a = await member(1);
      const b = await member(2);
      link(a, b);
      const msg = samples(1, 2).find((m): m is MsgSnap => m.type === 'MsgSnap') as MsgSnap;
      const big: MsgSnap = { ...msg, snapshot: { ...msg.snapshot, data: patternBytes(3 * 1024 * 1024, 3) } };
      a.t.transport.send([big]);
      await waitFor(() => a.handler.snapshotStatus.length === 1, 'snapshot status');
      expect(a.handler.snapshotStatus).toEqual([{ to: 2, ok: true }]);
      const got = b.handler.snapshots[0]!;
      expect(got.msg.snapshot.metadata).toEqual(msg.snapshot.metadata);
      // The full data is the inline part followed by the streamed chunks.
      expect(sameBytes(concat([got.msg.snapshot.data, ...got.chunks]), big.snapshot.data)).toBe(true);
    });

    it('counts traffic per peer in stats', async () => {
      const a = await member(1);
      const b = await member(2);
      link(a, b);
      await sendUntilDelivered(a, b, () => samples(1, 2)[1] as Message, 'delivery');
      await waitFor(() => a.t.transport.stats().peers[0]?.active === true, 'active');
      // Extra copies sent while waiting drain too: the queue empties once the peer is caught up.
      await waitFor(() => a.t.transport.stats().peers[0]?.queuedMessages === 0, 'an empty queue');
      await waitFor(() => b.t.transport.stats().peers[0]?.receivedMessages === a.t.transport.stats().peers[0]?.sentMessages, 'all sent received');
      const sa = a.t.transport.stats().peers[0]!;
      const sb = b.t.transport.stats().peers[0]!;
      expect(sa.id).toBe(2);
      expect(sa.sentMessages).toBeGreaterThanOrEqual(1);
      expect(sa.sentBytes).toBeGreaterThan(0);
      expect(sb.receivedMessages).toBe(b.handler.messages.length);
      expect(sb.receivedBytes).toBeGreaterThan(0);
      expect(sa.lastError).toBeUndefined();
    });

    it('stops idempotently and tolerates sends after stop', async () => {
      const a = await member(1);
      const b = await member(2);
      link(a, b);
      await a.t.transport.stop();
      await a.t.transport.stop();
      expect(() => a.t.transport.send(samples(1, 2).slice(0, 3))).not.toThrow();
    });
  });
}


