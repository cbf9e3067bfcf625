/** The fast record decoder against msgpackr's path: same KeyValue, or it declines. */
import { describe, expect, it } from 'vitest';
import { decodeRecordFast } from '../../src/store/record-fast-decode.js';
import { decodeRecordShared, encodeRecord } from '../../src/store/records.js';
import type { KeyValue } from '../../src/store/types.js';
import { SeededRng } from '../../src/util/rng.js';

const plain = (kv: KeyValue) => ({ ...kv, key: Buffer.from(kv.key).toString('hex'), value: Buffer.from(kv.value).toString('hex') });

function generic(bytes: Uint8Array): KeyValue | 'throws' {
  try {
    return decodeRecordShared(bytes);
  } catch {
    return 'throws';
  }
}

function randomKv(rng: SeededRng): KeyValue {
  const num = () => [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, rng.int(1e9)][rng.int(12)] as number;
  const len = [0, 1, 17, 255, 256, 65535, 65536, rng.int(300)][rng.int(8)] as number;
  const bytes = (n: number) => new Uint8Array(n).map(() => rng.int(256));
  return { key: bytes(rng.int(2) === 0 ? len : rng.int(40)), createRevision: num(), modRevision: num(), version: num(), value: bytes(len), lease: num() };
}

describe('decodeRecordFast', () => {
  it('decodes every record msgpackr wrote exactly as msgpackr reads it', () => {
    const rng = new SeededRng(31);
    for (let i = 0; i < 400; i++) {
      const kv = randomKv(rng);
      const fast = decodeRecordFast(encodeRecord(kv));
      expect(fast).toBeDefined();
      expect(plain(fast as KeyValue)).toEqual(plain(kv));
    }
  });

  it('declines, never disagrees, on damaged records', () => {
    const rng = new SeededRng(32);
    let declined = 0;
    for (let i = 0; i < 1500; i++) {
      const good = encodeRecord(randomKv(rng));
      const bad = good.slice();
      const how = rng.int(3);
      if (how === 0) bad[rng.int(bad.length)] = rng.int(256);
      const damaged = how === 1 ? bad.subarray(0, rng.int(bad.length)) : how === 2 ? Uint8Array.from([...bad, rng.int(256)]) : bad;
      const fast = decodeRecordFast(damaged);
      if (fast === undefined) {
        declined++;
        continue;
      }
      const reference = generic(damaged);
      expect(reference).not.toBe('throws');
      expect(plain(fast)).toEqual(plain(reference as KeyValue));
    }
    expect(declined).toBeGreaterThan(50);
  });

  it("hands out a copy: changing it leaves the record's bytes alone", () => {
    const bytes = Buffer.from(encodeRecord({ key: Buffer.from('k'), createRevision: 2, modRevision: 2, version: 1, value: Buffer.from('v'), lease: 0 }));
    const kv = decodeRecordFast(bytes) as KeyValue;
    kv.key.fill(0);
    kv.value.fill(0);
    expect(plain(decodeRecordFast(bytes) as KeyValue)).toMatchObject({ key: '6b', value: '76' });
  });
});
