import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { HistoryRecorder, historyFromJSON, historyToJSON } from './history.js';

describe('HistoryRecorder', () => {
  it('records calls and returns on the supplied clock', () => {
    const clock = new ManualClock(100);
    const rec = new HistoryRecorder<string, number>(clock);
    const a = rec.invoke(1, 'put');
    clock.advance(5);
    const b = rec.invoke(2, 'get');
    rec.ok(a, 7);
    clock.advance(5);
    rec.fail(b, new Error('boom'), { outcome: 'failed' });
    const ops = rec.operations();
    expect(ops).toMatchObject([
      { id: 0, client: 1, input: 'put', output: 7, status: 'ok', call: 100, return: 105 },
      { id: 1, client: 2, input: 'get', status: 'failed', error: 'Error: boom', call: 105, return: 110 },
    ]);
    // Same millisecond, but the recorder saw b's call before a's return.
    expect(ops[1]!.callSeq!).toBeLessThan(ops[0]!.returnSeq!);
  });

  it('gives unknown outcomes and ops still in flight an infinite return', () => {
    const rec = new HistoryRecorder<string, number>(new ManualClock());
    const a = rec.invoke(1, 'put');
    rec.fail(a, 'timeout', { outcome: 'unknown' });
    rec.invoke(2, 'put');
    expect(rec.inFlight()).toBe(1);
    const ops = rec.operations();
    expect(ops.map((o) => [o.status, o.return])).toEqual([
      ['unknown', Infinity],
      ['unknown', Infinity],
    ]);
    expect(ops[0]!.output).toBeUndefined();
  });

  it('refuses a second op from a busy client and completing an op twice', () => {
    const rec = new HistoryRecorder<string, number>(new ManualClock());
    const a = rec.invoke(1, 'put');
    expect(() => rec.invoke(1, 'get')).toThrow(/already has an operation in flight/);
    rec.ok(a, 1);
    expect(() => rec.ok(a, 1)).toThrow(/not in flight/);
    expect(() => rec.invoke(1, 'get')).not.toThrow();
  });

  it('round-trips through JSON, keeping Infinity and bytes', () => {
    const rec = new HistoryRecorder<{ key: Uint8Array }, { n: number }>(new ManualClock());
    const a = rec.invoke(1, { key: new Uint8Array([0, 255, 7]) });
    rec.ok(a, { n: 1 });
    const b = rec.invoke(1, { key: new Uint8Array([]) });
    rec.fail(b, 'lost', { outcome: 'unknown' });
    const text = historyToJSON(rec.operations());
    const back = historyFromJSON<{ key: Uint8Array }, { n: number }>(text);
    expect(back).toEqual(rec.operations());
    expect(back[0]!.input.key).toBeInstanceOf(Uint8Array);
    expect(back[1]!.return).toBe(Infinity);
    expect(() => historyFromJSON('{"operations":[]}')).toThrow(/not a cairn history/);
  });
});
