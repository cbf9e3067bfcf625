/**
 * The Ready loop's send-versus-persist order (raft-loop.ts): a leader may send before its own
 * write only when the Ready changes neither its term nor its vote. The case the issue names: a
 * single voter with a learner wins an election; if it sent the new term's entries before the
 * term was durable and then crashed, it could win that term again and write different entries
 * at the same index and term, breaking Log Matching on the learner.
 */
import { describe, expect, it } from 'vitest';
import { RawNode } from '../../src/raft/index.js';
import type { Message } from '../../src/raft/messages.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import type { Entry, HardState } from '../../src/raft/types.js';
import { RaftLoop } from '../../src/server/raft-loop.js';
import type { Wal } from '../../src/storage/wal.js';
import { ManualClock } from '../../src/util/clock.js';
import { SeededRng } from '../../src/util/rng.js';

interface Event {
  readonly what: 'save-start' | 'save-done' | 'send' | 'apply' | 'fatal';
  readonly term: number;
  readonly detail?: string;
}

/** A WAL whose saves take a few turns of the event loop, recording when each starts and ends. */
function recordingWal(events: Event[]): Wal {
  return {
    load: async () => {
      throw new Error('not used');
    },
    save: async (hs: HardState | undefined, entries: readonly Entry[]) => {
      const detail = entries.map((e) => e.index).join(',');
      events.push({ what: 'save-start', term: hs?.term ?? -1, detail });
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
      events.push({ what: 'save-done', term: hs?.term ?? -1, detail });
    },
    saveSnapshot: async () => {},
    compact: async () => {},
    trimmed: async () => {},
    close: async () => {},
  };
}

function startLoop(events: Event[]): { loop: RaftLoop; node: RawNode; idle: () => Promise<void> } {
  const storage = new MemoryStorage();
  const confState = { voters: [1], learners: [2], votersOutgoing: [], learnersNext: [], autoLeave: false };
  storage.applySnapshot({ metadata: { index: 1, term: 1, confState }, data: new Uint8Array(0) });
  storage.setHardState({ term: 1, vote: 0, commit: 1 });
  const node = new RawNode({ id: 1, electionTick: 10, heartbeatTick: 1, storage, rng: new SeededRng(1), applied: 1 });
  const loop = new RaftLoop({
    node,
    storage,
    wal: recordingWal(events),
    clock: new ManualClock(),
    tickMs: 100,
    maxQueued: 100,
    send: (messages: readonly Message[]) => {
      for (const m of messages) events.push({ what: 'send', term: m.term });
    },
    sendSnapshot: () => {},
    installSnapshot: async () => {},
    apply: async (entries: readonly Entry[]) => {
      events.push({ what: 'apply', term: -1, detail: entries.map((e) => e.index).join(',') });
    },
    onSoftState: () => {},
    onReadStates: () => {},
    onFatal: (err) => {
      events.push({ what: 'fatal', term: -1, detail: String(err) });
    },
  });
  loop.start();
  const idle = async () => {
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
  };
  return { loop, node, idle };
}

describe('RaftLoop: a leader sends before persisting only when its term and vote are unchanged', () => {
  it('a single voter that wins an election persists the new term before sending its entries to the learner', async () => {
    const events: Event[] = [];
    const { loop, idle } = startLoop(events);
    // Both calls are stepped before one Ready: it raises the term and carries appends of it.
    loop.submit((n) => n.campaign());
    loop.submit((n) => n.propose(new Uint8Array([0])));
    await idle();
    const firstSend = events.findIndex((e) => e.what === 'send' && e.term === 2);
    const termSaved = events.findIndex((e) => e.what === 'save-done' && e.term === 2);
    expect(firstSend, JSON.stringify(events)).toBeGreaterThan(-1);
    expect(termSaved, JSON.stringify(events)).toBeGreaterThan(-1);
    expect(termSaved, `sent term 2 before it was durable: ${JSON.stringify(events)}`).toBeLessThan(firstSend);

    // In the same term, a proposal's appends go out while the leader's own write is in flight
    // (once the learner has answered, so its progress replicates instead of probing).
    loop.submit((n) => n.step({ type: 'MsgAppResp', from: 2, to: 1, term: 2, index: 3, reject: false, rejectHint: 0, logTerm: 0 }));
    await idle();
    events.length = 0;
    loop.submit((n) => n.propose(new Uint8Array([1])));
    await idle();
    const send = events.findIndex((e) => e.what === 'send');
    const saved = events.findIndex((e) => e.what === 'save-done');
    expect(send, JSON.stringify(events)).toBeGreaterThan(-1);
    expect(send, `same-term appends should overlap the leader's write: ${JSON.stringify(events)}`).toBeLessThan(saved);
    await loop.stop();
  });
});

describe('RaftLoop: a leader answers committed entries before the next write', () => {
  it('applies what is committed and durable while the entries proposed after it are being written', async () => {
    const events: Event[] = [];
    const { loop, idle } = startLoop(events);
    loop.submit((n) => n.campaign());
    await idle();
    events.length = 0;
    // X (index 3) is written; Y is proposed while X's write is in flight, so the next Ready
    // carries both "X committed" and "Y to write".
    loop.submit((n) => n.propose(new Uint8Array([1])));
    await new Promise((r) => setImmediate(r));
    expect(events.some((e) => e.what === 'save-start' && e.detail === '3'), JSON.stringify(events)).toBe(true);
    loop.submit((n) => n.propose(new Uint8Array([2])));
    await idle();
    const appliedX = events.findIndex((e) => e.what === 'apply' && e.detail?.split(',').includes('3'));
    const writeY = events.findIndex((e) => e.what === 'save-done' && e.detail === '4');
    expect(appliedX, JSON.stringify(events)).toBeGreaterThan(-1);
    expect(writeY, JSON.stringify(events)).toBeGreaterThan(-1);
    expect(appliedX, `X waited for Y's write: ${JSON.stringify(events)}`).toBeLessThan(writeY);
    await loop.stop();
  });
});
