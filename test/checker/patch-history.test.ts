import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/util/rng.js';
import { history } from './build.js';
import { checkKvHistory } from './check-kv.js';
import { generateKvHistory } from './generate.js';
import { patchKvHistory } from './patch-history.js';

describe('patching unknown writes from reads', () => {
  it('turns an unknown put that a read saw into an acknowledged one', () => {
    const h = history()
      .put(1, 'a', 'x', [0, 1], 'unknown')
      .get(2, 'a', [5, 9], 'x', { mod: 4, rev: 6 })
      .get(3, 'a', [6, 7], 'x', { mod: 4, rev: 6 });
    const [put] = patchKvHistory(h.ops);
    expect(put).toMatchObject({ status: 'ok', output: { op: 'put', revision: 4 }, call: 0, return: 7 });
    expect(put?.error).toContain('read #2');
  });

  it('resolves an unknown CAS that a value-CAS saw, with only a bound on its revision', () => {
    const h = history().cas(1, 'a', { modRevision: 0 }, 'x', [0, 1], 'unknown').cas(2, 'a', { value: 'x' }, 'y', [3, 4], true, 9);
    expect(patchKvHistory(h.ops)[0]).toMatchObject({ status: 'ok', output: { op: 'cas', succeeded: true, revisionBelow: 9 }, return: 4 });
    expect(patchKvHistory(h.ops)[0]?.output).not.toHaveProperty('revision');
    expect(checkKvHistory(h.ops).result).toBe('ok');
  });

  it('uses the bound: no revision fits between a read at 8 and a CAS at 9 that saw the write', () => {
    const h = history()
      .get(1, 'a', [0, 1], undefined, { rev: 8 })
      .put(2, 'a', 'x', [2, 3], 'unknown')
      .cas(3, 'a', { value: 'x' }, 'y', [4, 5], true, 9);
    expect(checkKvHistory(h.ops, { patch: false }).result).toBe('ok'); // without the inference it looks fine
    expect(checkKvHistory(h.ops).linearizability.result).toBe('illegal');
    const roomy = history()
      .get(1, 'a', [0, 1], undefined, { rev: 7 })
      .put(2, 'a', 'x', [2, 3], 'unknown')
      .cas(3, 'a', { value: 'x' }, 'y', [4, 5], true, 9);
    expect(checkKvHistory(roomy.ops).result).toBe('ok');
  });

  it('leaves unobserved writes, values written twice and observations before the call alone', () => {
    const h = history()
      .put(1, 'a', 'x', [0, 1], 'unknown')
      .put(2, 'b', 'y', [0, 1], 'unknown')
      .put(3, 'b', 'y', [0, 1])
      .get(4, 'b', [2, 3], 'y')
      .get(5, 'c', [0, 1], 'z')
      .put(6, 'c', 'z', [2, 3], 'unknown');
    const patched = patchKvHistory(h.ops);
    expect(patched.map((op) => op.status)).toEqual(['unknown', 'unknown', 'ok', 'ok', 'ok', 'unknown']);
    expect(checkKvHistory(h.ops).result).toBe('illegal'); // the read of z before its write is still caught
  });

  it('still catches a read seeing the value after it was overwritten', () => {
    const h = history()
      .put(1, 'a', 'x', [0, 1], 'unknown')
      .get(2, 'a', [2, 3], 'x')
      .put(1, 'a', 'y', [4, 5])
      .get(2, 'a', [6, 7], 'x');
    expect(checkKvHistory(h.ops).result).toBe('illegal');
    expect(checkKvHistory(h.ops, { patch: false }).result).toBe('illegal');
  });

  it('agrees with the unpatched check on random histories', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const ops = generateKvHistory(new SeededRng(seed), { ops: 60, keys: 2, clients: 4, unknownRate: 0.2, phantomRate: 0.3 });
      expect(checkKvHistory(ops, { patch: false }).result, `seed ${seed}`).toBe('ok');
      expect(checkKvHistory(ops).result, `seed ${seed}`).toBe('ok');
    }
  });
});
