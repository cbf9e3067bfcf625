import { describe, expect, it } from 'vitest';
import { history } from './build.js';
import { checkKvHistory } from './check-kv.js';
import { checkLinearizability } from './linearizability.js';
import { kvModel } from './kv-model.js';

const verdict = (h: ReturnType<typeof history>): string => checkKvHistory(h.ops).result;

describe('linearizable KV histories pass', () => {
  it('accepts a sequential history with revisions', () => {
    const h = history()
      .get(1, 'a', [0, 1], undefined, { mod: 0, rev: 1 })
      .put(1, 'a', 'x', [2, 3], 2)
      .get(2, 'a', [4, 5], 'x', { mod: 2, rev: 2 })
      .cas(1, 'a', { modRevision: 2 }, 'y', [6, 7], true, 3)
      .cas(2, 'a', { modRevision: 2 }, 'z', [8, 9], false, 3)
      .del(1, 'a', [10, 11], 1, 4)
      .del(2, 'a', [12, 13], 0, 4)
      .get(1, 'a', [14, 15], undefined, { rev: 4 });
    const report = checkKvHistory(h.ops);
    expect(report.result, report.text).toBe('ok');
  });

  it('lets a read concurrent with a write see either value', () => {
    const base = (): ReturnType<typeof history> => history().put(1, 'a', 'old', [0, 1]).put(1, 'a', 'new', [2, 10]);
    expect(verdict(base().get(2, 'a', [3, 4], 'old'))).toBe('ok');
    expect(verdict(base().get(2, 'a', [3, 4], 'new'))).toBe('ok');
    // ...but once one read saw the new value, a later read cannot see the old one.
    expect(verdict(base().get(2, 'a', [3, 4], 'new').get(3, 'a', [5, 6], 'old'))).toBe('illegal');
  });

  it('finds the order of concurrent writes that a later read decides', () => {
    // The first order tried (x then y) fails; {x, y} in the other order is a different state.
    const h = history().put(1, 'a', 'x', [0, 10]).put(2, 'a', 'y', [0, 10]).get(3, 'a', [11, 12], 'x');
    expect(verdict(h)).toBe('ok');
    expect(verdict(history().put(1, 'a', 'x', [0, 10]).put(2, 'a', 'y', [0, 10]).get(3, 'a', [11, 12], 'y'))).toBe('ok');
  });

  it('orders concurrent reads by their revisions', () => {
    const h = history()
      .put(1, 'a', 'x', [0, 10], 2)
      .get(2, 'a', [1, 20], 'x', { mod: 2, rev: 5 })
      .get(3, 'a', [1, 20], undefined, { mod: 0, rev: 1 });
    expect(verdict(h)).toBe('ok');
  });
});

describe('anomalies are caught with an explanation', () => {
  it('stale read: a read after a completed write returns the older value', () => {
    const h = history().put(1, 'a', 'v1', [0, 1]).put(1, 'a', 'v2', [2, 3]).get(2, 'a', [4, 5], 'v1');
    const report = checkKvHistory(h.ops);
    expect(report.result).toBe('illegal');
    const e = report.linearizability.partitions[0]?.explanation;
    expect(e?.blocked.id).toBe(2);
    expect(e?.longestPrefix.map((op) => op.id)).toEqual([0, 1]);
    expect(e?.stateAfterPrefix).toContain('"v2"');
    expect(report.text).toContain('cannot place: #2 client 2 get(a) → "v1"');
  });

  it('lost write: an acknowledged put is not visible to a later read', () => {
    expect(verdict(history().put(1, 'a', 'v1', [0, 1]).get(2, 'a', [2, 3], undefined))).toBe('illegal');
  });

  it('read of a value that was never written', () => {
    expect(verdict(history().put(1, 'a', 'v1', [0, 1]).get(2, 'a', [0, 3], 'ghost'))).toBe('illegal');
  });

  it('read of a value written only after the read returned', () => {
    expect(verdict(history().get(2, 'a', [0, 1], 'v1').put(1, 'a', 'v1', [2, 3]))).toBe('illegal');
  });

  it('CAS anomaly: two CAS on the same modRevision both succeed', () => {
    const h = history()
      .put(1, 'a', 'v0', [0, 1], 2)
      .cas(1, 'a', { modRevision: 2 }, 'x', [2, 10], true, 3)
      .cas(2, 'a', { modRevision: 2 }, 'y', [2, 10], true, 4);
    expect(verdict(h)).toBe('illegal');
  });

  it('CAS anomaly: a CAS fails although its condition held and nothing raced it', () => {
    const h = history().put(1, 'a', 'v0', [0, 1]).cas(1, 'a', { value: 'v0' }, 'x', [2, 3], false);
    expect(verdict(h)).toBe('illegal');
    // A VALUE compare on a missing key is false in etcd, so failing there is right.
    expect(verdict(history().cas(1, 'a', { value: '' }, 'x', [0, 1], false))).toBe('ok');
    // MOD == 0 means absent.
    expect(verdict(history().cas(1, 'a', { modRevision: 0 }, 'x', [0, 1], true))).toBe('ok');
  });

  it('write visible then gone', () => {
    const h = history().put(1, 'a', 'v1', [0, 20]).get(2, 'a', [1, 2], 'v1').get(2, 'a', [3, 4], undefined);
    expect(verdict(h)).toBe('illegal');
  });

  it('delete that reports a wrong count', () => {
    expect(verdict(history().put(1, 'a', 'v1', [0, 1]).del(1, 'a', [2, 3], 0))).toBe('illegal');
    expect(verdict(history().del(1, 'a', [2, 3], 1))).toBe('illegal');
  });

  it('per-key revisions: a write revision not above an earlier read, a read going back', () => {
    expect(verdict(history().get(1, 'a', [0, 1], undefined, { rev: 7 }).put(1, 'a', 'x', [2, 3], 7))).toBe('illegal');
    const backwards = history().get(1, 'a', [0, 1], undefined, { rev: 7 }).get(2, 'a', [2, 3], undefined, { rev: 6 });
    expect(checkLinearizability(kvModel, backwards.ops).result).toBe('illegal'); // the model alone sees it too
    expect(verdict(history().put(1, 'a', 'x', [0, 1], 4).get(1, 'a', [2, 3], 'x', { mod: 5 }))).toBe('illegal');
    expect(verdict(history().put(1, 'a', 'x', [0, 1], 4).get(1, 'a', [2, 3], 'x', { mod: 4, rev: 3 }))).toBe('illegal');
  });

  it('per-key revisions catch what real time cannot: concurrent reads whose values contradict their revisions', () => {
    // B saw the old value, so it precedes put v2 (revision 3), yet B saw revision 6.
    const h = history()
      .put(1, 'a', 'v1', [0, 1], 2)
      .put(1, 'a', 'v2', [2, 10], 3)
      .get(2, 'a', [3, 9], 'v2', { mod: 3, rev: 5 })
      .get(3, 'a', [3, 9], 'v1', { mod: 2, rev: 6 });
    const report = checkKvHistory(h.ops);
    expect(report.revisions).toEqual([]);
    expect(report.linearizability.result).toBe('illegal');
  });
});

describe('unknown and failed outcomes', () => {
  it('an unknown-outcome put may have happened', () => {
    expect(verdict(history().put(1, 'a', 'v1', [0, 1], 'unknown').get(2, 'a', [5, 6], 'v1'))).toBe('ok');
  });

  it('an unknown-outcome put may not have happened', () => {
    expect(verdict(history().put(1, 'a', 'v1', [0, 1], 'unknown').get(2, 'a', [5, 6], undefined))).toBe('ok');
  });

  it('an unknown-outcome put may take effect late, but not be undone', () => {
    const late = history().put(1, 'a', 'v1', [0, 1], 'unknown').get(2, 'a', [5, 6], undefined).get(2, 'a', [7, 8], 'v1');
    expect(verdict(late)).toBe('ok');
    const undone = history().put(1, 'a', 'v1', [0, 1], 'unknown').get(2, 'a', [5, 6], 'v1').get(2, 'a', [7, 8], undefined);
    expect(verdict(undone)).toBe('illegal');
  });

  it('an unknown-outcome put cannot take effect before it was invoked', () => {
    expect(verdict(history().get(2, 'a', [0, 1], 'v1').put(1, 'a', 'v1', [5, 6], 'unknown'))).toBe('illegal');
  });

  it('an unknown-outcome write binds its revision at the first read that sees it', () => {
    const h = history()
      .put(1, 'a', 'v1', [0, 1], 'unknown')
      .get(2, 'a', [5, 6], 'v1', { mod: 9, rev: 9 })
      .get(2, 'a', [7, 8], 'v1', { mod: 10, rev: 10 });
    expect(verdict(h)).toBe('illegal');
    expect(checkKvHistory(h.ops, { patch: false }).linearizability.result).toBe('illegal');
    const consistent = history().put(1, 'a', 'v1', [0, 1], 'unknown').get(2, 'a', [5, 6], 'v1', { mod: 9, rev: 9 }).get(2, 'a', [7, 8], 'v1', { mod: 9, rev: 10 });
    expect(checkKvHistory(consistent.ops, { patch: false }).result).toBe('ok');
  });

  it('an unknown-outcome CAS whose condition is undecidable may go either way', () => {
    const base = (): ReturnType<typeof history> =>
      history().put(1, 'a', 'v1', [0, 1], 'unknown').get(2, 'a', [2, 3], 'v1').cas(3, 'a', { modRevision: 5 }, 'v2', [4, 5], 'unknown');
    expect(verdict(base().get(2, 'a', [6, 7], 'v2'))).toBe('ok');
    expect(verdict(base().get(2, 'a', [6, 7], 'v1'))).toBe('ok');
  });

  it('a failed write certainly did not happen', () => {
    expect(verdict(history().put(1, 'a', 'v1', [0, 1], 'failed').get(2, 'a', [5, 6], 'v1'))).toBe('illegal');
    expect(verdict(history().put(1, 'a', 'v1', [0, 1], 'failed').get(2, 'a', [5, 6], undefined))).toBe('ok');
  });

  it('reads without an answer are dropped', () => {
    const h = history().put(1, 'a', 'v1', [0, 1]).getFailed(2, 'a', [2, 3], 'unknown').getFailed(3, 'a', [2, 3], 'failed');
    const report = checkKvHistory(h.ops);
    expect(report.result).toBe('ok');
    expect(report.linearizability.dropped).toBe(2);
  });
});

describe('partitioning and budget', () => {
  it('checks each key on its own and reports only the broken one', () => {
    const h = history()
      .put(1, 'a', 'a1', [0, 1])
      .put(2, 'b', 'b1', [0, 1])
      .get(1, 'a', [2, 3], 'a1')
      .get(2, 'b', [2, 3], 'b0')
      .put(3, 'c', 'c1', [0, 9])
      .get(3, 'c', [10, 11], 'c1');
    const report = checkKvHistory(h.ops);
    expect(report.result).toBe('illegal');
    expect(report.linearizability.partitions.map((p) => [p.partition, p.result])).toEqual([
      ['a', 'ok'],
      ['b', 'illegal'],
      ['c', 'ok'],
    ]);
    expect(report.text).toContain('partition "b": illegal');
    expect(report.text).not.toContain('partition "a"');
  });

  it('returns unknown when the search exceeds its budget', () => {
    // 24 concurrent puts then a read of a value nobody wrote: the search must try every subset.
    const h = history();
    for (let i = 0; i < 24; i++) h.put(i, 'a', `v${i}`, [0, 100]);
    h.get(99, 'a', [200, 201], 'ghost');
    const tight = checkLinearizability(kvModel, h.ops, { maxSteps: 10_000 });
    expect(tight.result).toBe('unknown');
    expect(tight.partitions[0]?.steps).toBeLessThan(20_000);
    const timed = checkLinearizability(kvModel, h.ops, { maxMillis: 50 });
    expect(timed.result).toBe('unknown');
    expect(timed.partitions[0]?.millis).toBeLessThan(1_000);
  });

  it('shares a total budget across partitions, and a spent budget reports unknown, not ok', () => {
    const h = history();
    for (let i = 0; i < 24; i++) h.put(i, 'a', `v${i}`, [0, 100]);
    h.get(99, 'a', [200, 201], 'ghost').put(1, 'b', 'x', [300, 301]).get(1, 'b', [302, 303], 'x');
    const report = checkLinearizability(kvModel, h.ops, { maxTotalMillis: 50 });
    expect(report.result).toBe('unknown');
    expect(report.partitions.map((p) => [p.partition, p.result])).toEqual([
      ['a', 'unknown'],
      ['b', 'unknown'],
    ]);
  });
});
