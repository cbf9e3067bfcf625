import { describe, expect, it } from 'vitest';
import { AutoCompactor } from '../../src/server/auto-compaction.js';
import { ManualClock } from '../../src/util/clock.js';

function harness(mode: 'revision' | 'periodic', retention: string, intervalMs?: number) {
  const clock = new ManualClock();
  const state = { current: 1, compacted: 0, leader: true, compactions: [] as number[] };
  const compactor = new AutoCompactor({
    mode,
    retention,
    clock,
    isLeader: () => state.leader,
    currentRevision: () => state.current,
    compactedRevision: () => state.compacted,
    compact: async (rev) => {
      state.compactions.push(rev);
      state.compacted = rev;
    },
    ...(intervalMs !== undefined ? { intervalMs } : {}),
  });
  return { clock, state, compactor };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('auto compaction', () => {
  it('revision mode keeps the last N revisions, every 5 minutes, on the leader only', async () => {
    const { clock, state, compactor } = harness('revision', '100');
    expect(compactor.start()).toBe(true);
    state.current = 50;
    clock.advance(5 * 60_000);
    await settle();
    expect(state.compactions).toEqual([]);
    state.current = 1000;
    clock.advance(5 * 60_000);
    await settle();
    expect(state.compactions).toEqual([900]);
    state.leader = false;
    state.current = 2000;
    clock.advance(5 * 60_000);
    await settle();
    expect(state.compactions).toEqual([900]);
    compactor.stop();
  });

  it('periodic mode compacts to the revision seen one retention ago', async () => {
    const { clock, state, compactor } = harness('periodic', '30m');
    expect(compactor.start()).toBe(true);
    for (let i = 1; i <= 4; i++) {
      state.current = i * 100;
      clock.advance(30 * 60_000);
      await settle();
    }
    // Samples at 30, 60, 90, 120 min with revisions 100..400: at each check the one from 30 min before.
    expect(state.compactions).toEqual([100, 200, 300]);
    compactor.stop();
  });

  it('is off with retention 0', () => {
    expect(harness('periodic', '0').compactor.start()).toBe(false);
    expect(harness('revision', '0').compactor.start()).toBe(false);
  });
});

describe('auto compaction in a member', () => {
  it('--auto-compaction-mode revision compacts a running member through raft', async () => {
    const { startCluster } = await import('./cluster-harness.js');
    const { utf8 } = await import('../../src/util/bytes.js');
    const cluster = await startCluster(1, { autoCompactionMode: 'revision', autoCompactionRetention: '5' });
    try {
      const m = await cluster.leader();
      for (let i = 0; i < 20; i++) await m.put({ key: utf8('k'), value: utf8(String(i)) });
      // The member's compactor checks every 5 minutes on its real clock; run one check now.
      await m.autoCompactor.check();
      const h = await m.hashKV(0);
      expect(h.compactRevision).toBe(21 - 5);
    } finally {
      await cluster.stopAll();
    }
  });
});
