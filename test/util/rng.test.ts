import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/util/rng.js';
import { ManualClock } from '../../src/util/clock.js';
import { prefixRangeEnd, compareBytes, utf8 } from '../../src/util/bytes.js';
import { crc32c } from '../../src/util/crc.js';
import { KvError } from '../../src/util/errors.js';

describe('SeededRng', () => {
  it('replays the same stream from the same seed and differs across seeds', () => {
    const a = new SeededRng(42);
    const b = new SeededRng(42);
    const c = new SeededRng(43);
    const xs = Array.from({ length: 20 }, () => a.int(1000));
    expect(Array.from({ length: 20 }, () => b.int(1000))).toEqual(xs);
    expect(Array.from({ length: 20 }, () => c.int(1000))).not.toEqual(xs);
  });

  it('stays in range and covers it', () => {
    const r = new SeededRng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = r.int(10);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(10);
      seen.add(v);
    }
    expect(seen.size).toBe(10);
  });
});

describe('ManualClock', () => {
  it('fires timers in time order only when advanced', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 20);
    clock.setTimeout(() => fired.push('a'), 10);
    const iv = clock.setInterval(() => fired.push('i'), 15);
    expect(fired).toEqual([]);
    clock.advance(31);
    expect(fired).toEqual(['a', 'i', 'b', 'i']);
    iv.cancel();
    clock.advance(100);
    expect(fired).toEqual(['a', 'i', 'b', 'i']);
    expect(clock.now()).toBe(131);
  });
});

describe('bytes', () => {
  it('computes etcd prefix range ends', () => {
    expect(Array.from(prefixRangeEnd(utf8('foo')))).toEqual(Array.from(utf8('fop')));
    expect(Array.from(prefixRangeEnd(new Uint8Array([0x61, 0xff])))).toEqual([0x62]);
    expect(Array.from(prefixRangeEnd(new Uint8Array([0xff, 0xff])))).toEqual([0]);
  });
  it('orders bytes lexicographically with shorter prefixes first', () => {
    expect(compareBytes(utf8('a'), utf8('ab'))).toBeLessThan(0);
    expect(compareBytes(utf8('b'), utf8('ab'))).toBeGreaterThan(0);
    expect(compareBytes(utf8('ab'), utf8('ab'))).toBe(0);
  });
});

describe('crc32c', () => {
  it('matches the Castagnoli check value and chains', () => {
    expect(crc32c(utf8('123456789'))).toBe(0xe3069283);
    expect(crc32c(utf8('6789'), crc32c(utf8('12345')))).toBe(0xe3069283);
  });
});

describe('KvError', () => {
  it('carries etcd message, gRPC code and HTTP status', () => {
    const err = new KvError('Compacted');
    expect(err.message).toBe('etcdserver: mvcc: required revision has been compacted');
    expect(err.grpcCode).toBe(11);
    expect(err.httpStatus).toBe(400);
    expect(new KvError('NoLeader').httpStatus).toBe(503);
    expect(new KvError('LeaseNotFound').httpStatus).toBe(404);
  });
});
