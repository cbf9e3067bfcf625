/** The search engine itself, on a tiny register model (the KV model has its own tests). */
import { describe, expect, it } from 'vitest';
import { assertNever } from '../../src/util/assert.js';
import type { Operation } from './history.js';
import { checkLinearizability, describeReport, type Model } from './linearizability.js';

type RegInput = { kind: 'write'; v: number } | { kind: 'lossy'; v: number } | { kind: 'read' };
type RegOutput = { v?: number };

/** A register with a "lossy" write that answers ok whether or not it took effect. */
const register = (lossyOrder: 'applied-first' | 'lost-first'): Model<RegInput, RegOutput, number> => ({
  init: () => 0,
  step: (s, input, output) => {
    switch (input.kind) {
      case 'write':
        return [input.v];
      case 'lossy':
        return lossyOrder === 'applied-first' ? [input.v, s] : [s, input.v];
      case 'read':
        return output === undefined || output.v === s ? [s] : [];
      default:
        return assertNever(input, 'register input');
    }
  },
  stateKey: (s) => String(s),
  isReadOnly: (input) => input.kind === 'read',
});

let nextId = 0;
const op = (client: number, input: RegInput, output: RegOutput | undefined, call: number, ret: number): Operation<RegInput, RegOutput> => ({
  id: nextId++,
  client,
  input,
  call,
  ...(output === undefined ? { status: 'unknown', return: Infinity } : { status: 'ok', output, return: ret }),
});

describe('search engine', () => {
  it('tries every next state of a non-deterministic step, in either order', () => {
    for (const order of ['applied-first', 'lost-first'] as const) {
      const lost = [op(1, { kind: 'lossy', v: 1 }, {}, 0, 1), op(2, { kind: 'read' }, { v: 0 }, 2, 3)];
      const kept = [op(1, { kind: 'lossy', v: 1 }, {}, 0, 1), op(2, { kind: 'read' }, { v: 1 }, 2, 3)];
      expect(checkLinearizability(register(order), lost).result, order).toBe('ok');
      expect(checkLinearizability(register(order), kept).result, order).toBe('ok');
      const flip = [...kept, op(2, { kind: 'read' }, { v: 0 }, 4, 5)];
      expect(checkLinearizability(register(order), flip).result, order).toBe('illegal');
    }
  });

  it('without a partition function checks one partition, and an empty history is ok', () => {
    const m = register('applied-first');
    expect(checkLinearizability(m, [])).toMatchObject({ result: 'ok', partitions: [] });
    const r = checkLinearizability(m, [op(1, { kind: 'write', v: 3 }, {}, 0, 1), op(2, { kind: 'read' }, { v: 3 }, 2, 3)]);
    expect(r.partitions.map((p) => p.partition)).toEqual(['']);
  });

  it('treats equal call and return times as concurrent, unless sequence numbers order them', () => {
    const m = register('applied-first');
    const write = op(1, { kind: 'write', v: 1 }, {}, 0, 5);
    const read = op(2, { kind: 'read' }, { v: 0 }, 5, 6);
    expect(checkLinearizability(m, [write, read]).result).toBe('ok');
    const ordered = [
      { ...write, callSeq: 0, returnSeq: 1 },
      { ...read, callSeq: 2, returnSeq: 3 },
    ];
    expect(checkLinearizability(m, ordered).result).toBe('illegal');
  });

  it('rejects an op that returns before its call', () => {
    const m = register('applied-first');
    expect(() => checkLinearizability(m, [op(1, { kind: 'write', v: 1 }, {}, 5, 4)])).toThrow(/returns before its call/);
  });

  it('explains with default descriptions when the model has none', () => {
    const m = register('applied-first');
    const r = checkLinearizability(m, [op(1, { kind: 'write', v: 1 }, {}, 0, 1), op(2, { kind: 'read' }, { v: 2 }, 2, 3)]);
    const text = describeReport(m, r);
    expect(text).toContain('state after it: 1');
    expect(text).toContain('cannot place: #');
    expect(text).toContain('"kind":"read"');
  });
});
