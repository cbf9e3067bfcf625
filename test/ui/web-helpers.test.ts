/**
 * The dashboard's pure helpers, run in node: Prometheus parsing and histogram_quantile between
 * two scrapes (the Metrics page's p99s), the byte helpers behind keys (prefix range end,
 * /kv/ paths, base64, hex dump), and which of the member's refusals bring the login form.
 */
import { describe, expect, it } from 'vitest';
import { asksForLogin, isPermissionDenied } from '../../src/ui/web/auth-answers.js';
import { fromBase64, hexDump, keyPath, prefixEnd, showBytes, toBase64 } from '../../src/ui/web/bytes.js';
import { buckets, parseMetrics, quantileBetween, total } from '../../src/ui/web/prom.js';

const scrape = (counts: Record<string, number>, extra = ''): string =>
  Object.entries(counts)
    .map(([le, n]) => `etcd_disk_wal_fsync_duration_seconds_bucket{le="${le}"} ${n}`)
    .join('\n') + `\n# HELP x\n${extra}`;

describe('prom', () => {
  it('sums every series of a metric and tells a missing one apart from zero', () => {
    const s = parseMetrics('etcd_mvcc_put_total 7\netcd_network_peer_sent_bytes_total{To="a"} 3\netcd_network_peer_sent_bytes_total{To="b"} 4\nzero 0\n');
    expect(total(s, 'etcd_mvcc_put_total')).toBe(7);
    expect(total(s, 'etcd_network_peer_sent_bytes_total')).toBe(7);
    expect(total(s, 'zero')).toBe(0);
    expect(total(s, 'absent')).toBeUndefined();
  });

  it('interpolates the p99 inside its bucket, over the observations between two scrapes only', () => {
    const before = buckets(parseMetrics(scrape({ '0.001': 1000, '0.002': 1000, '0.004': 1000, '+Inf': 1000 })), 'etcd_disk_wal_fsync_duration_seconds');
    // 100 new observations: 50 below 1 ms, 40 in (1, 2] ms, 10 in (2, 4] ms.
    const now = buckets(parseMetrics(scrape({ '0.001': 1050, '0.002': 1090, '0.004': 1100, '+Inf': 1100 })), 'etcd_disk_wal_fsync_duration_seconds');
    // rank 99 falls in (2, 4] ms: 9 of its 10 observations → 2 + 2 * 9/10 ms.
    expect(quantileBetween(0.99, before, now)).toBeCloseTo(0.0038, 6);
    expect(quantileBetween(0.5, before, now)).toBeCloseTo(0.001, 6);
    expect(quantileBetween(0.99, now, now)).toBeUndefined();
  });

  it('answers the highest finite bound when the quantile is in +Inf, as Prometheus does', () => {
    const now = buckets(parseMetrics(scrape({ '0.001': 0, '0.002': 0, '+Inf': 10 })), 'etcd_disk_wal_fsync_duration_seconds');
    expect(quantileBetween(0.99, new Map(), now)).toBe(0.002);
  });
});

describe('bytes', () => {
  it("computes etcd's prefix range end", () => {
    expect([...prefixEnd(new Uint8Array([0x61, 0x2f]))]).toEqual([0x61, 0x30]);
    expect([...prefixEnd(new Uint8Array([0x61, 0xff]))]).toEqual([0x62]);
    expect([...prefixEnd(new Uint8Array([0xff, 0xff]))]).toEqual([0]);
    expect([...prefixEnd(new Uint8Array([]))]).toEqual([0]);
  });

  it('escapes every byte a /kv/ path needs escaped and keeps the slashes', () => {
    expect(keyPath(new TextEncoder().encode('jobs/a b?#%'))).toBe('jobs/a%20b%3F%23%25');
    expect(keyPath(new Uint8Array([0xff, 0x00]))).toBe('%FF%00');
  });

  it('round-trips base64 and shows binary escaped', () => {
    const bin = new Uint8Array([0, 1, 0xfe, 0xff]);
    expect([...fromBase64(toBase64(bin))]).toEqual([...bin]);
    expect(showBytes(bin)).toBe('\\x00\\x01\\xfe\\xff');
    expect(showBytes(new TextEncoder().encode('grüß'))).toBe('grüß');
    expect(hexDump(new Uint8Array([0x41, 0x00]))).toBe(`00000000  ${'41 00'.padEnd(47)}  A.`);
  });
});

describe('auth answers', () => {
  it("asks for a login on each of etcd's 'who are you' answers, and on no other", () => {
    // The gateway's answers (the browser test meets the first live; the second needs an auth
    // change between a request's check and its apply, or a JWT from before one).
    expect(asksForLogin(400, 'etcdserver: user name is empty')).toBe(true);
    expect(asksForLogin(400, 'etcdserver: revision of auth store is old')).toBe(true);
    expect(asksForLogin(401, 'etcdserver: invalid auth token')).toBe(true);
    // /kv/ and SSE: 401 with a text body.
    expect(asksForLogin(401, undefined)).toBe(true);
    // Refusals a new login would not change.
    expect(asksForLogin(403, 'etcdserver: permission denied')).toBe(false);
    expect(asksForLogin(400, 'etcdserver: authentication failed, invalid user ID or password')).toBe(false);
    expect(asksForLogin(400, 'etcdserver: mvcc: required revision has been compacted')).toBe(false);
    expect(asksForLogin(400, undefined)).toBe(false);
  });

  it('tells permission denied apart, from the gateway (code 7) and from /kv/ (403)', () => {
    expect(isPermissionDenied(403, 7)).toBe(true);
    expect(isPermissionDenied(403, undefined)).toBe(true);
    expect(isPermissionDenied(400, 3)).toBe(false);
    expect(isPermissionDenied(401, 16)).toBe(false);
  });
});
