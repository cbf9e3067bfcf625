import { describe, expect, it } from 'vitest';
import { decodeEntry, decodeHardState, decodeIndex, decodeSnapshotMeta, encodeEntry, encodeHardState, encodeIndex, encodeSnapshotMeta } from '../../src/storage/codec.js';
import { ENTRY_RANGE, FIRST_INDEX_KEY, HARD_STATE_KEY, SNAPSHOT_KEY, bucketKey, entryIndexOf, entryKey } from '../../src/storage/keys.js';
import { compareBytes } from '../../src/util/bytes.js';

describe('entry keys', () => {
  it('are fixed-width big-endian: byte order is numeric order, across the 2^32 boundary', () => {
    const indexes = [0, 1, 255, 256, 65_535, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40, Number.MAX_SAFE_INTEGER];
    for (const [i, index] of indexes.entries()) {
      const key = entryKey(index);
      expect(key.length).toBe(9);
      expect(entryIndexOf(key)).toBe(index);
      expect(compareBytes(key, ENTRY_RANGE.gte)).toBeGreaterThan(0);
      expect(compareBytes(key, ENTRY_RANGE.lt)).toBeLessThan(0);
      const prev = indexes[i - 1];
      if (prev !== undefined) expect(compareBytes(entryKey(prev), key)).toBeLessThan(0);
    }
    expect(entryIndexOf(new Uint8Array([1, 0, 0]))).toBeUndefined();
    expect(entryIndexOf(bucketKey('key', new Uint8Array(8)))).toBeUndefined();
    expect(() => entryKey(-1)).toThrow();
    expect(() => entryKey(2 ** 53)).toThrow();
  });
});

describe('records', () => {
  it('round-trip every record type', () => {
    const e = { index: 7, term: 3, type: 'confChange' as const, data: new Uint8Array([9, 8]) };
    const decoded = decodeEntry(entryKey(7), 7, encodeEntry(entryKey(7), e));
    expect(decoded.ok && { ...decoded.value, data: [...decoded.value.data] }).toEqual({ ...e, data: [9, 8] });
    expect(decodeHardState(HARD_STATE_KEY, encodeHardState(HARD_STATE_KEY, { term: 4, vote: 2, commit: 9 }))).toEqual({ ok: true, value: { term: 4, vote: 2, commit: 9 } });
    const meta = { index: 5, term: 2, confState: { voters: [1, 2], learners: [3], votersOutgoing: [1], learnersNext: [4], autoLeave: true } };
    expect(decodeSnapshotMeta(SNAPSHOT_KEY, encodeSnapshotMeta(SNAPSHOT_KEY, meta))).toEqual({ ok: true, value: meta });
    expect(decodeIndex(FIRST_INDEX_KEY, encodeIndex(FIRST_INDEX_KEY, 2 ** 40))).toEqual({ ok: true, value: 2 ** 40 });
  });

  it('detect every flipped bit, a wrong key and truncation', () => {
    const key = entryKey(3);
    const stored = encodeEntry(key, { index: 3, term: 1, type: 'normal', data: new Uint8Array([1, 2, 3]) });
    for (let bit = 0; bit < stored.length * 8; bit++) {
      const bad = stored.slice();
      bad[bit >> 3] = (bad[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      expect(decodeEntry(key, 3, bad).ok).toBe(false);
    }
    expect(decodeEntry(entryKey(4), 4, stored)).toMatchObject({ ok: false, problem: expect.stringContaining('crc mismatch') });
    expect(decodeEntry(key, 3, stored.subarray(0, 4))).toMatchObject({ ok: false, problem: 'truncated record (4 bytes)' });
    expect(decodeHardState(HARD_STATE_KEY, encodeIndex(HARD_STATE_KEY, 5))).toMatchObject({ ok: false, problem: 'malformed hard state record' });
  });
});
