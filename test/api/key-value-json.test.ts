/** The hand-written KeyValue encoder against the descriptor-driven one it stands in for. */
import { describe, expect, it } from 'vitest';
import { encodeWire, toWire } from '../../src/api/json/encode.js';
import { encodeMessage } from '../../src/api/json.js';
import { KeyValueDesc } from '../../src/api/json/messages-kv.js';
import { encodeKeyValueJson } from '../../src/api/json/key-value-json.js';
import type { KeyValue } from '../../src/api/kv-types.js';
import { SeededRng } from '../../src/util/rng.js';

const generic = (kv: KeyValue) => encodeWire(KeyValueDesc, toWire(KeyValueDesc, kv));

function randomKv(rng: SeededRng): KeyValue {
  const num = () => [0, 1, rng.int(1000), 2 ** 53 - 1][rng.int(4)] as number;
  const bytes = () => new Uint8Array(rng.int(3) === 0 ? 0 : rng.int(40)).map(() => rng.int(256));
  const lease = [0n, 1n, BigInt(rng.int(2 ** 31)), 2n ** 63n - 1n][rng.int(4)] as bigint;
  return { key: bytes(), createRevision: num(), modRevision: num(), version: num(), value: bytes(), lease };
}

describe('KeyValue JSON', () => {
  it('prints exactly what the generic encoder prints, zero fields and all', () => {
    const rng = new SeededRng(18);
    for (let i = 0; i < 2000; i++) {
      const kv = randomKv(rng);
      expect(encodeKeyValueJson(kv)).toBe(generic(kv));
    }
    const empty: KeyValue = { key: new Uint8Array(0), createRevision: 0, modRevision: 0, version: 0, value: new Uint8Array(0), lease: 0n };
    expect(encodeKeyValueJson(empty)).toBe('{}');
  });

  it('is what encodeMessage uses for a KeyValue', () => {
    const kv: KeyValue = { key: Buffer.from('foo'), createRevision: 2, modRevision: 3, version: 1, value: Buffer.from('bar'), lease: 7n };
    expect(encodeMessage(KeyValueDesc, kv)).toBe('{"key":"Zm9v","create_revision":"2","mod_revision":"3","version":"1","value":"YmFy","lease":"7"}');
  });
});
