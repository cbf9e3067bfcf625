import { describe, expect, it } from 'vitest';
import { PermissionSet, READ, READWRITE, WRITE, type StoredPermission } from '../../../src/server/auth/permissions.js';
import { prefixRangeEnd, utf8 } from '../../../src/util/bytes.js';

const b = utf8;
const none = new Uint8Array();
const open = new Uint8Array([0]);

// etcd-auth-tls §9's alice: r1 = READ foo, READWRITE prefix a/, WRITE [k1,k5), READ from z; r3 = READ [a0,a5).
const alice: StoredPermission[] = [
  { type: READ, key: b('foo'), rangeEnd: none },
  { type: READWRITE, key: b('a/'), rangeEnd: prefixRangeEnd(b('a/')) },
  { type: WRITE, key: b('k1'), rangeEnd: b('k5') },
  { type: READ, key: b('z'), rangeEnd: open },
  { type: READ, key: b('a0'), rangeEnd: b('a5') },
];

describe('PermissionSet (etcd range_perm_cache)', () => {
  const p = new PermissionSet(alice);

  it('single keys', () => {
    expect(p.canRead(b('foo'))).toBe(true);
    expect(p.canWrite(b('foo'))).toBe(false);
    expect(p.canRead(b('fo'))).toBe(false);
    expect(p.canRead(b('foo\0'))).toBe(false);
    expect(p.canWrite(b('k3'))).toBe(true);
    expect(p.canWrite(b('k5'))).toBe(false);
    expect(p.canRead(b('k3'))).toBe(false);
  });

  it('ranges must be covered by the union of grants (§9 row 4)', () => {
    expect(p.canRead(b('a/'), b('a0'))).toBe(true);
    expect(p.canRead(b('a/1'), b('a0'))).toBe(true);
    expect(p.canRead(b('a'), b('a0'))).toBe(false);
    expect(p.canRead(b('a/'), b('a1'))).toBe(true); // [a/,a0) ∪ [a0,a5) covers [a/,a1)
    expect(p.canRead(b('a/'), b('a5'))).toBe(true);
    expect(p.canRead(b('a/'), b('a6'))).toBe(false);
    expect(p.canWrite(b('a/'), b('a1'))).toBe(false); // only READ extends past a0
    expect(p.canWrite(b('k1'), b('k5'))).toBe(true);
    expect(p.canWrite(b('k1'), b('k6'))).toBe(false);
  });

  it('open-ended grants and requests (range_end \\0)', () => {
    expect(p.canRead(b('z'), open)).toBe(true);
    expect(p.canRead(b('zzz'), open)).toBe(true);
    expect(p.canRead(b('y'), open)).toBe(false);
    expect(p.canRead(b('foo'), open)).toBe(false); // a point grant never covers "every key ≥ foo"
  });

  it('a point range [foo, foo\\0) is covered by a point grant; an inverted range checks its start', () => {
    expect(p.canRead(b('foo'), b('foo\0'))).toBe(true);
    expect(p.canRead(b('foo'), b('a'))).toBe(true);
  });

  it('no permissions: nothing', () => {
    const empty = new PermissionSet([]);
    expect(empty.canRead(b('a'))).toBe(false);
    expect(empty.canWrite(b('\0'), open)).toBe(false);
  });
});
