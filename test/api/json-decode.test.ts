import { describe, expect, it } from 'vitest';
import { decodeJson } from '../../src/api/json.js';
import type { MessageDesc } from '../../src/api/json.js';
import { AlarmRequestDesc } from '../../src/api/json/messages-maintenance.js';
import { MemberAddRequestDesc, MemberRemoveRequestDesc } from '../../src/api/json/messages-cluster.js';
import {
  CompactionRequestDesc,
  DeleteRangeRequestDesc,
  PutRequestDesc,
  RangeRequestDesc,
  TxnRequestDesc,
} from '../../src/api/json/messages-kv.js';
import { LeaseGrantRequestDesc, LeaseKeepAliveRequestDesc, LeaseTimeToLiveRequestDesc } from '../../src/api/json/messages-lease.js';
import { WatchRequestDesc } from '../../src/api/json/messages-watch.js';
import { isKvError, KvError } from '../../src/util/errors.js';
import { bytes, MEMBER } from './examples.js';

function decodeError<T>(desc: MessageDesc<T>, text: string): KvError {
  try {
    decodeJson(desc, text);
  } catch (err) {
    if (err instanceof KvError) return err;
    throw err;
  }
  throw new Error(`decoded ${text}`);
}

describe('request decoding: the reference §3 requests', () => {
  it.each<[string, MessageDesc<unknown>, string, unknown]>([
    ['put', PutRequestDesc, '{"key":"Zm9v","value":"YmFy"}', { key: bytes('foo'), value: bytes('bar') }],
    ['put prev_kv', PutRequestDesc, '{"key":"Zm9v","value":"YmF6","prev_kv":true}', { key: bytes('foo'), value: bytes('baz'), prevKv: true }],
    ['range', RangeRequestDesc, '{"key":"Zm9v"}', { key: bytes('foo') }],
    ['range limit', RangeRequestDesc, '{"key":"YS8=","range_end":"YTA=","limit":2}', { key: bytes('a/'), rangeEnd: bytes('a0'), limit: 2 }],
    ['range filters', RangeRequestDesc, '{"key":"YS8=","range_end":"YTA=","min_mod_revision":6,"keys_only":true}',
      { key: bytes('a/'), rangeEnd: bytes('a0'), minModRevision: 6, keysOnly: true }],
    ['range revision string', RangeRequestDesc, '{"key":"YS8=","range_end":"YTA=","revision":"1000"}', { key: bytes('a/'), rangeEnd: bytes('a0'), revision: 1000 }],
    ['range empty key', RangeRequestDesc, '{"key":""}', { key: bytes('') }],
    ['range empty body', RangeRequestDesc, '', { key: bytes('') }],
    ['deleterange', DeleteRangeRequestDesc, '{"key":"YS8=","range_end":"YTA=","prev_kv":true}', { key: bytes('a/'), rangeEnd: bytes('a0'), prevKv: true }],
    ['compaction', CompactionRequestDesc, '{"revision":"3","physical":true}', { revision: 3, physical: true }],
    ['lease grant', LeaseGrantRequestDesc, '{"TTL":"1","ID":"1000"}', { ttl: 1, id: 1000n }],
    ['lease timetolive', LeaseTimeToLiveRequestDesc, '{"ID":"1000","keys":true}', { id: 1000n, keys: true }],
    ['keepalive', LeaseKeepAliveRequestDesc, '{"ID":"777"}', { id: 777n }],
    ['member add', MemberAddRequestDesc, '{"peerURLs":["http://127.0.0.1:24390"],"isLearner":true}', { peerUrls: ['http://127.0.0.1:24390'], isLearner: true }],
    ['alarm', AlarmRequestDesc, `{"action":"ACTIVATE","memberID":"${MEMBER}","alarm":"NOSPACE"}`, { action: 'ACTIVATE', memberId: MEMBER, alarm: 'NOSPACE' }],
    ['alarm default action', AlarmRequestDesc, '{}', { action: 'GET' }],
  ])('%s', (_name, desc, text, expected) => {
    expect(decodeJson(desc, text)).toEqual(expected);
  });

  it('decodes a txn: compares flat, ops as tagged unions, nested txns', () => {
    const txn = decodeJson(
      TxnRequestDesc,
      '{"compare":[{"target":"VALUE","key":"Zm9v","result":"EQUAL","value":"YmF6"}],' +
        '"success":[{"request_put":{"key":"Zm9v","value":"cXV4","prev_kv":true}},{"request_range":{"key":"Zm9v"}}],' +
        '"failure":[{"request_range":{"key":"Zm9v"}}]}',
    );
    expect(txn).toEqual({
      compare: [{ target: 'VALUE', key: bytes('foo'), result: 'EQUAL', value: bytes('baz') }],
      success: [
        { type: 'put', request: { key: bytes('foo'), value: bytes('qux'), prevKv: true } },
        { type: 'range', request: { key: bytes('foo') } },
      ],
      failure: [{ type: 'range', request: { key: bytes('foo') } }],
    });
    const nested = decodeJson(
      TxnRequestDesc,
      '{"success":[{"request_delete_range":{"key":"YS8z","prev_kv":true}},{"request_txn":{"success":[{"request_range":{"key":"Yg=="}}]}}]}',
    );
    expect(nested.success?.[1]).toEqual({
      type: 'txn',
      request: { compare: [], success: [{ type: 'range', request: { key: bytes('b') } }], failure: [] },
    });
    expect(decodeJson(TxnRequestDesc, '{"compare":[{"target":"CREATE","key":"Zm9v","result":"EQUAL","create_revision":"0"}]}').compare).toEqual([
      { target: 'CREATE', key: bytes('foo'), result: 'EQUAL', createRevision: 0 },
    ]);
    expect(decodeJson(TxnRequestDesc, '{}')).toEqual({ compare: [], success: [], failure: [] });
  });

  it('decodes the watch stream requests', () => {
    expect(decodeJson(WatchRequestDesc, '{"create_request":{"key":"dy8=","range_end":"dzA=","prev_kv":true}}')).toEqual({
      type: 'create',
      request: { key: bytes('w/'), rangeEnd: bytes('w0'), prevKv: true },
    });
    expect(decodeJson(WatchRequestDesc, '{"create_request":{"key":"Zm9v","start_revision":"2","watch_id":"7","filters":["NOPUT",1]}}')).toEqual({
      type: 'create',
      request: { key: bytes('foo'), startRevision: 2, watchId: 7, noPut: true, noDelete: true },
    });
    expect(decodeJson(WatchRequestDesc, '{"progress_request":{}}')).toEqual({ type: 'progress' });
    expect(decodeJson(WatchRequestDesc, '{"cancel_request":{"watch_id":"0"}}')).toEqual({ type: 'cancel', watchId: 0 });
    expect(decodeJson(WatchRequestDesc, '{}')).toBeUndefined();
  });
});

describe('request decoding: the gateway rules (§1.1, §1.2)', () => {
  it('accepts lowerCamelCase names as well as proto names', () => {
    expect(decodeJson(RangeRequestDesc, '{"key":"YQ==","rangeEnd":"Yg==","countOnly":true,"sortOrder":"DESCEND"}')).toEqual({
      key: bytes('a'), rangeEnd: bytes('b'), countOnly: true, sortOrder: 'DESCEND',
    });
    const txn = decodeJson(TxnRequestDesc, '{"compare":[{"key":"YQ==","createRevision":"5","target":"CREATE"}],"success":[{"requestPut":{"key":"YQ==","prevKv":true}}]}');
    expect(txn.compare?.[0]).toEqual({ key: bytes('a'), createRevision: 5, target: 'CREATE', result: 'EQUAL' });
    expect(txn.success?.[0]).toEqual({ type: 'put', request: { key: bytes('a'), value: bytes(''), prevKv: true } });
  });

  it('accepts int64 as string or integer literal; IDs as bigints over all 64 bits', () => {
    expect(decodeJson(RangeRequestDesc, '{"key":"YQ==","limit":"7"}').limit).toBe(7);
    expect(decodeJson(RangeRequestDesc, '{"key":"YQ==","limit":-3}').limit).toBe(-3);
    expect(decodeJson(LeaseKeepAliveRequestDesc, '{"ID":9007199254740993}').id).toBe(9007199254740993n);
    expect(decodeJson(LeaseKeepAliveRequestDesc, '{"ID":"9223372036854775807"}').id).toBe(2n ** 63n - 1n);
    expect(decodeJson(MemberRemoveRequestDesc, '{"ID":"18446744073709551615"}').id).toBe(2n ** 64n - 1n);
    expect(decodeJson(LeaseKeepAliveRequestDesc, '{"ID":" 12 "}').id).toBe(12n);
  });

  it('accepts enums by name or number', () => {
    expect(decodeJson(RangeRequestDesc, '{"key":"YQ==","sort_order":2,"sort_target":"MOD"}')).toMatchObject({ sortOrder: 'DESCEND', sortTarget: 'MOD' });
  });

  it('ignores unknown fields and treats null as unset', () => {
    expect(decodeJson(PutRequestDesc, '{"key":"YQ==","bogus":{"x":[1]},"value":null,"lease":null}')).toEqual({ key: bytes('a'), value: bytes('') });
    expect(decodeJson(PutRequestDesc, 'null')).toEqual({ key: bytes(''), value: bytes('') });
  });

  it.each<[string, MessageDesc<unknown>, string, string]>([
    ['unpadded base64', RangeRequestDesc, '{"key":"Zm9"}', 'illegal base64 data at input byte 0'],
    ['URL-safe base64', RangeRequestDesc, '{"key":"Zm9v-_=="}', 'illegal base64 data at input byte 4'],
    ['unknown enum name', RangeRequestDesc, '{"key":"YQ==","sort_order":"X"}', 'unknown value "X" for enum etcdserverpb.RangeRequest_SortOrder'],
    ['unknown enum number', RangeRequestDesc, '{"key":"YQ==","sort_target":9}', 'unknown value 9 for enum etcdserverpb.RangeRequest_SortTarget'],
    ['bool as string', RangeRequestDesc, '{"key":"YQ==","keys_only":"true"}', 'json: cannot unmarshal string into Go value of type bool'],
    ['bytes as number', RangeRequestDesc, '{"key":5}', 'json: cannot unmarshal number into Go value of type []uint8'],
    ['int64 with a fraction', RangeRequestDesc, '{"key":"YQ==","limit":1.0}', 'json: cannot unmarshal number 1.0 into Go value of type int64'],
    ['int64 as words', RangeRequestDesc, '{"key":"YQ==","limit":"abc"}', "invalid character 'a' looking for beginning of value"],
    ['int64 as bool', RangeRequestDesc, '{"key":"YQ==","limit":true}', 'json: cannot unmarshal bool into Go value of type int64'],
    ['int64 overflow', RangeRequestDesc, '{"key":"YQ==","limit":9223372036854775808}', 'json: cannot unmarshal number 9223372036854775808 into Go value of type int64'],
    ['negative uint64', MemberRemoveRequestDesc, '{"ID":-1}', 'json: cannot unmarshal number -1 into Go value of type uint64'],
    ['repeated as string', MemberAddRequestDesc, '{"peerURLs":"x"}', 'json: cannot unmarshal string into Go value of type []json.RawMessage'],
    ['string as number', MemberAddRequestDesc, '{"peerURLs":[5]}', 'json: cannot unmarshal number into Go value of type string'],
    ['message as array', TxnRequestDesc, '{"compare":[[]]}', 'json: cannot unmarshal array into Go value of type map[string]json.RawMessage'],
    ['body as array', RangeRequestDesc, '[1]', 'json: cannot unmarshal array into Go value of type map[string]json.RawMessage'],
    ['malformed JSON', RangeRequestDesc, '{bad', "invalid character 'b' looking for beginning of object key string"],
    ['truncated JSON', RangeRequestDesc, '{"key":"YQ==', 'unexpected EOF'],
  ])('%s → 400 code 3 "%s"', (_name, desc, text, message) => {
    const err = decodeError(desc, text);
    expect(err.message).toBe(message);
    expect(err.grpcCode).toBe(3);
    expect(err.httpStatus).toBe(400);
  });

  it('refuses a non-ID integer that a JS number cannot hold exactly (revisions stay numbers)', () => {
    const err = decodeError(RangeRequestDesc, '{"key":"YQ==","revision":"9223372036854775807"}');
    expect(err.grpcCode).toBe(3);
    expect(err.message).toContain('2^53-1');
  });

  it("answers an empty RequestOp with etcd's key-not-found", () => {
    expect(isKvError(decodeError(TxnRequestDesc, '{"success":[{}]}'), 'KeyNotFound')).toBe(true);
  });
});
