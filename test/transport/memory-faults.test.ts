/** MemoryNetwork's fault switches and MemoryTransport's bounds, driven by a manual clock. */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/messages.js';
import { ManualClock } from '../../src/util/clock.js';
import { SeededRng } from '../../src/util/rng.js';
import { encodePayload } from '../../src/transport/codec.js';
import { MemoryNetwork } from '../../src/transport/memory-network.js';
import { MemoryTransport } from '../../src/transport/memory-transport.js';
import type { TransportLimits } from '../../src/transport/transport.js';
import { RecordingHandler } from './helpers.js';

function world(limits?: Partial<TransportLimits>) {
  const clock = new ManualClock();
  const network = new MemoryNetwork({ schedule: (fn, ms) => void clock.setTimeout(fn, ms), rng: new SeededRng(42) });
  const members = [1, 2, 3].map((id) => {
    const handler = new RecordingHandler();
    const transport = new MemoryTransport({ id, clusterId: 'c', url: `mem://${id}`, network, handler, limits });
    return { id, handler, transport };
  });
  for (const m of members) {
    void m.transport.start();
    for (const p of members) if (p.id !== m.id) m.transport.addPeer(p.id, [`mem://${p.id}`]);
  }
  /** Runs every scheduled delivery up to `ms` from now (ManualClock fires 0 ms timers on advance). */
  const run = (ms = 0) => clock.advance(ms);
  return { clock, network, members, run, m: (id: number) => members[id - 1]! };
}

const hb = (from: number, to: number, commit = 0): Message => ({ type: 'MsgHeartbeat', from, to, term: 1, commit, context: new Uint8Array() });

describe('MemoryNetwork faults', () => {
  it('delivers only when the scheduler runs', () => {
    const w = world();
    w.m(1).transport.send([hb(1, 2)]);
    expect(w.m(2).handler.messages).toEqual([]);
    w.run();
    w.run();
    expect(w.m(2).handler.messages).toEqual([hb(1, 2)]);
  });

  it('cut links fail like refused connections; heal restores them', () => {
    const w = world();
    w.network.cut(1, 2);
    w.m(1).transport.send([hb(1, 2), hb(1, 3)]);
    w.m(2).transport.send([hb(2, 1)]);
    w.run();
    w.run();
    expect(w.m(2).handler.messages).toEqual([]);
    expect(w.m(1).handler.messages).toEqual([]);
    expect(w.m(3).handler.messages).toEqual([hb(1, 3)]);
    expect(w.m(1).handler.unreachable).toEqual([2]);
    expect(w.m(2).handler.unreachable).toEqual([1]);
    w.network.heal();
    w.m(1).transport.send([hb(1, 2)]);
    w.run();
    w.run();
    expect(w.m(2).handler.messages).toEqual([hb(1, 2)]);
  });

  it('a one-way cut only blocks one direction; isolate blocks everything', () => {
    const w = world();
    w.network.cut(1, 2, true);
    w.m(2).transport.send([hb(2, 1)]);
    w.m(1).transport.send([hb(1, 2)]);
    w.run();
    w.run();
    expect(w.m(1).handler.messages).toEqual([hb(2, 1)]);
    expect(w.m(2).handler.messages).toEqual([]);
    w.network.heal();
    w.network.isolate(3);
    w.m(1).transport.send([hb(1, 3)]);
    w.m(3).transport.send([hb(3, 2)]);
    w.run();
    w.run();
    expect(w.m(3).handler.messages).toEqual([]);
    expect(w.m(2).handler.messages).toEqual([]);
  });

  it('drop loses a seeded fraction silently', () => {
    const w = world();
    w.network.drop(1, 2, 0.5);
    for (let i = 0; i < 200; i++) {
      w.m(1).transport.send([hb(1, 2, i)]);
      w.run();
    }
    w.run();
    const got = w.m(2).handler.messages.length;
    expect(got).toBeGreaterThan(60);
    expect(got).toBeLessThan(140);
    expect(w.m(1).handler.unreachable).toEqual([]);
  });

  it('delay holds messages for the given time, in order', () => {
    const w = world();
    w.network.delay(1, 2, 100);
    w.m(1).transport.send([hb(1, 2, 1)]);
    w.run();
    w.m(1).transport.send([hb(1, 2, 2)]);
    w.run(99);
    expect(w.m(2).handler.messages).toEqual([]);
    w.run(1);
    w.run(10);
    expect(w.m(2).handler.messages).toEqual([hb(1, 2, 1), hb(1, 2, 2)]);
  });

  it('held messages count against the bounded queue, which reports the peer unreachable when full', () => {
    const w = world({ maxQueuedMessages: 10 });
    w.network.hold(1, 2);
    for (let i = 0; i < 10; i++) w.m(1).transport.send([hb(1, 2, i)]);
    w.run();
    expect(w.m(1).handler.unreachable).toEqual([]);
    expect(w.m(1).transport.stats().peers.find((p) => p.id === 2)?.queuedMessages).toBe(10);
    w.m(1).transport.send([hb(1, 2, 99)]);
    w.run();
    expect(w.m(1).handler.unreachable).toEqual([2]);
    expect(w.m(1).transport.stats().peers.find((p) => p.id === 2)?.droppedMessages).toBe(1);
    w.network.release(1, 2);
    w.run();
    expect(w.m(2).handler.messages.map((m) => (m.type === 'MsgHeartbeat' ? m.commit : -1))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(w.m(1).transport.stats().peers.find((p) => p.id === 2)?.queuedMessages).toBe(0);
  });

  it('counts and drops malformed payloads without disturbing the member', () => {
    const w = world();
    w.m(2).transport.receivePayload(1, new Uint8Array([0xc1, 0x00]));
    w.m(2).transport.receivePayload(1, encodePayload({ k: 'msgs', msgs: [{ type: 'MsgBeat', from: 1, to: 2, term: 0 }] }));
    w.m(2).transport.receivePayload(1, encodePayload({ k: 'msgs', msgs: [hb(3, 2)] }));
    expect(w.m(2).transport.stats().malformedFrames).toBe(3);
    expect(w.m(2).handler.messages).toEqual([]);
    w.m(1).transport.send([hb(1, 2)]);
    w.run();
    w.run();
    expect(w.m(2).handler.messages).toEqual([hb(1, 2)]);
  });

  it('messages are copies: mutating what was sent does not change what arrives', () => {
    const w = world();
    const data = new Uint8Array([1, 2, 3]);
    w.m(1).transport.send([{ type: 'MsgApp', from: 1, to: 2, term: 1, index: 0, logTerm: 0, commit: 0, entries: [{ term: 1, index: 1, type: 'normal', data }] }]);
    w.run();
    data[0] = 9;
    w.run();
    const got = w.m(2).handler.messages[0];
    expect(got?.type === 'MsgApp' && Array.from(got.entries[0]!.data)).toEqual([1, 2, 3]);
  });
});
