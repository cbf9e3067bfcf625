/** What the HTTP client gets from api/json: error bodies and stream lines back into values and KvErrors. */
import { describe, expect, it } from 'vitest';
import { decodeStreamItem, errorBodyJson, kvErrorFromBody, parseJsonBody, streamErrorJson, WireError } from '../../src/api/json.js';
import { STREAMING, UNARY } from '../../src/api/rpcs.js';
import { isKvError, KvError } from '../../src/util/errors.js';
import { H } from './examples.js';

describe('errors back from the wire', () => {
  it('maps a known etcd message to its KvError code', () => {
    const body = JSON.parse(errorBodyJson(5, 'etcdserver: requested lease not found'));
    const err = kvErrorFromBody(body);
    expect(isKvError(err, 'LeaseNotFound')).toBe(true);
    expect(err.httpStatus).toBe(404);
  });

  it('keeps the gRPC code of a message it does not know', () => {
    const err = kvErrorFromBody({ error: 'unknown service etcdserverpb.Auth', code: 12, message: 'unknown service etcdserverpb.Auth' });
    expect(err).toBeInstanceOf(WireError);
    expect([err.grpcCode, err.httpStatus, err.message]).toEqual([12, 501, 'unknown service etcdserverpb.Auth']);
  });

  it('decodes stream lines: results, and error chunks as KvErrors', () => {
    const line = parseJsonBody(`{"result":{"header":${H(15)},"ID":"777","TTL":"30"}}`)!;
    expect(decodeStreamItem(STREAMING.leaseKeepAlive.response, line)).toMatchObject({ id: 777n, ttl: 30 });
    const chunk = parseJsonBody(streamErrorJson(14, 'etcdserver: no leader', 'Service Unavailable'))!;
    let err: unknown;
    try {
      decodeStreamItem(STREAMING.watch.response, chunk);
    } catch (e) {
      err = e;
    }
    expect(isKvError(err, 'NoLeader')).toBe(true);
    expect(() => decodeStreamItem(STREAMING.watch.response, parseJsonBody('{"other":1}')!)).toThrow(KvError);
  });
});

describe('the RPC catalogue', () => {
  it('uses the reference paths, with etcd aliases for lease revoke/timetolive/leases', () => {
    const paths = [...Object.values(UNARY), ...Object.values(STREAMING)].flatMap((r) => [r.path, ...r.aliases]);
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths.filter((p) => p.startsWith('/v3/kv/lease/'))).toEqual(['/v3/kv/lease/revoke', '/v3/kv/lease/timetolive', '/v3/kv/lease/leases']);
    expect(paths.every((p) => p.startsWith('/v3/'))).toBe(true);
    expect(paths).toHaveLength(26);
  });
});
