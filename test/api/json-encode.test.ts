import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../src/api/json.js';
import type { MessageDesc } from '../../src/api/json.js';
import { MemberAddResponseDesc, MemberListResponseDesc } from '../../src/api/json/messages-cluster.js';
import {
  DeleteRangeResponseDesc,
  PutResponseDesc,
  RangeResponseDesc,
  TxnResponseDesc,
} from '../../src/api/json/messages-kv.js';
import {
  LeaseGrantResponseDesc,
  LeaseKeepAliveResponseDesc,
  LeaseLeasesResponseDesc,
  LeaseTimeToLiveResponseDesc,
} from '../../src/api/json/messages-lease.js';
import {
  AlarmResponseDesc,
  DefragmentResponseDesc,
  HashResponseDesc,
  SnapshotChunkDesc,
  StatusResponseDesc,
} from '../../src/api/json/messages-maintenance.js';
import { WatchResponseDesc } from '../../src/api/json/messages-watch.js';
import { bytes, clusterH, CLUSTER, H, header, kv, MEMBER } from './examples.js';

const inner = (revision: number) => ({ clusterId: 0n, memberId: 0n, raftTerm: 0, revision });
const clusterHeader = { clusterId: CLUSTER, memberId: MEMBER, revision: 0, raftTerm: 2 };
const deleted = (key: string, rev: number) => ({ key: bytes(key), createRevision: 0, modRevision: rev, version: 0, value: bytes(''), lease: 0 });

describe('response encoding: the reference §3 responses, byte for byte', () => {
  it.each<[string, MessageDesc<unknown>, unknown, string]>([
    ['put', PutResponseDesc, { header: header(2) }, `{"header":${H(2)}}`],
    ['put prev_kv', PutResponseDesc, { header: header(3), prevKv: kv('foo', 2, 2, 1, 'bar') },
      `{"header":${H(3)},"prev_kv":{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}}`],
    ['range', RangeResponseDesc, { header: header(3), kvs: [kv('foo', 2, 3, 2, 'baz')], count: 1 },
      `{"header":${H(3)},"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"3","version":"2","value":"YmF6"}],"count":"1"}`],
    ['empty range', RangeResponseDesc, { header: header(3), kvs: [], count: 0, more: false }, `{"header":${H(3)}}`],
    ['range limit', RangeResponseDesc, { header: header(7), kvs: [kv('a/1', 4, 4, 1, '1'), kv('a/2', 5, 5, 1, '2')], more: true, count: 3 },
      `{"header":${H(7)},"kvs":[{"key":"YS8x","create_revision":"4","mod_revision":"4","version":"1","value":"MQ=="},` +
        `{"key":"YS8y","create_revision":"5","mod_revision":"5","version":"1","value":"Mg=="}],"more":true,"count":"3"}`],
    ['keys_only', RangeResponseDesc, { header: header(7), kvs: [kv('a/3', 6, 6, 1, '')], count: 3 },
      `{"header":${H(7)},"kvs":[{"key":"YS8z","create_revision":"6","mod_revision":"6","version":"1"}],"count":"3"}`],
    ['txn success', TxnResponseDesc, {
      header: header(8), succeeded: true, responses: [
        { type: 'put', response: { header: inner(8), prevKv: kv('foo', 2, 3, 2, 'baz') } },
        { type: 'range', response: { header: inner(8), kvs: [kv('foo', 2, 8, 3, 'qux')], count: 1 } },
      ],
    }, `{"header":${H(8)},"succeeded":true,"responses":[` +
      `{"response_put":{"header":{"revision":"8"},"prev_kv":{"key":"Zm9v","create_revision":"2","mod_revision":"3","version":"2","value":"YmF6"}}},` +
      `{"response_range":{"header":{"revision":"8"},"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"8","version":"3","value":"cXV4"}],"count":"1"}}]}`],
    ['txn failure omits succeeded', TxnResponseDesc, {
      header: header(8), succeeded: false, responses: [{ type: 'range', response: { header: inner(8), kvs: [], count: 0 } }],
    }, `{"header":${H(8)},"responses":[{"response_range":{"header":{"revision":"8"}}}]}`],
    ['nested txn header is {}', TxnResponseDesc, {
      header: header(9), succeeded: true, responses: [
        { type: 'deleteRange', response: { header: inner(9), deleted: 1, prevKvs: [kv('a/3', 6, 6, 1, '')] } },
        { type: 'txn', response: { header: inner(0), succeeded: true, responses: [{ type: 'range', response: { header: inner(9), kvs: [], count: 0 } }] } },
      ],
    }, `{"header":${H(9)},"succeeded":true,"responses":[` +
      `{"response_delete_range":{"header":{"revision":"9"},"deleted":"1","prev_kvs":[{"key":"YS8z","create_revision":"6","mod_revision":"6","version":"1"}]}},` +
      `{"response_txn":{"header":{},"succeeded":true,"responses":[{"response_range":{"header":{"revision":"9"}}}]}}]}`],
    ['empty txn', TxnResponseDesc, { header: header(9), succeeded: true, responses: [] }, `{"header":${H(9)},"succeeded":true}`],
    ['deleterange', DeleteRangeResponseDesc, { header: header(10), deleted: 2, prevKvs: [kv('a/1', 4, 4, 1, '1'), kv('a/2', 5, 5, 1, '2')] },
      `{"header":${H(10)},"deleted":"2","prev_kvs":[{"key":"YS8x","create_revision":"4","mod_revision":"4","version":"1","value":"MQ=="},` +
        `{"key":"YS8y","create_revision":"5","mod_revision":"5","version":"1","value":"Mg=="}]}`],
    ['watch created (id 0 omitted)', WatchResponseDesc, { header: header(10), watchId: 0, created: true }, `{"header":${H(10)},"created":true}`],
    ['watch put event', WatchResponseDesc, { header: header(11), watchId: 0, events: [{ type: 'PUT', kv: kv('w/a', 11, 11, 1, '1') }] },
      `{"header":${H(11)},"events":[{"kv":{"key":"dy9h","create_revision":"11","mod_revision":"11","version":"1","value":"MQ=="}}]}`],
    ['watch txn events with DELETE', WatchResponseDesc, {
      header: header(13), watchId: 0, events: [
        { type: 'PUT', kv: kv('w/b', 13, 13, 1, '3') },
        { type: 'DELETE', kv: deleted('w/a', 13), prevKv: kv('w/a', 11, 12, 2, '2') },
      ],
    }, `{"header":${H(13)},"events":[{"kv":{"key":"dy9i","create_revision":"13","mod_revision":"13","version":"1","value":"Mw=="}},` +
      `{"type":"DELETE","kv":{"key":"dy9h","mod_revision":"13"},"prev_kv":{"key":"dy9h","create_revision":"11","mod_revision":"12","version":"2","value":"Mg=="}}]}`],
    ['watch compaction cancel', WatchResponseDesc, { header: clusterHeader, watchId: 0, canceled: true, compactRevision: 3 },
      `{"header":${clusterH},"canceled":true,"compact_revision":"3"}`],
    ['watch created with id', WatchResponseDesc, { header: header(13), watchId: 7, created: true }, `{"header":${H(13)},"watch_id":"7","created":true}`],
    ['watch progress reply', WatchResponseDesc, { header: header(13), watchId: -1 }, `{"header":${H(13)},"watch_id":"-1"}`],
    ['watch canceled', WatchResponseDesc, { header: header(13), watchId: 0, canceled: true }, `{"header":${H(13)},"canceled":true}`],
    ['watch duplicate id', WatchResponseDesc, {
      header: header(13), watchId: -1, created: true, canceled: true, cancelReason: 'mvcc: duplicate watch ID provided on the WatchStream',
    }, `{"header":${H(13)},"watch_id":"-1","created":true,"canceled":true,"cancel_reason":"mvcc: duplicate watch ID provided on the WatchStream"}`],
    ['periodic progress notify', WatchResponseDesc, { header: header(32), watchId: 0 }, `{"header":${H(32)}}`],
    ['watch denied by auth', WatchResponseDesc, {
      header: header(15), watchId: -1, created: true, canceled: true,
      cancelReason: 'rpc error: code = PermissionDenied desc = etcdserver: permission denied',
    }, `{"header":${H(15)},"watch_id":"-1","created":true,"canceled":true,"cancel_reason":"rpc error: code = PermissionDenied desc = etcdserver: permission denied"}`],
    ['watch fragment', WatchResponseDesc, { header: header(20), watchId: 0, fragment: true, events: [{ type: 'DELETE', kv: deleted('x', 20) }] },
      `{"header":${H(20)},"fragment":true,"events":[{"type":"DELETE","kv":{"key":"eA==","mod_revision":"20"}}]}`],
    ['lease grant', LeaseGrantResponseDesc, { header: header(13), id: 1000n, ttl: 2 }, `{"header":${H(13)},"ID":"1000","TTL":"2"}`],
    ['lease timetolive', LeaseTimeToLiveResponseDesc, { header: header(15), id: 1000n, ttl: 1, grantedTtl: 2, keys: [bytes('lk')] },
      `{"header":${H(15)},"ID":"1000","TTL":"1","grantedTTL":"2","keys":["bGs="]}`],
    ['lease timetolive unknown', LeaseTimeToLiveResponseDesc, { header: header(15), id: 1000n, ttl: -1, grantedTtl: 0 }, `{"header":${H(15)},"ID":"1000","TTL":"-1"}`],
    ['lease leases', LeaseLeasesResponseDesc, { header: header(15), leases: [{ id: 1000n }, { id: 4281975621390077n }] },
      `{"header":${H(15)},"leases":[{"ID":"1000"},{"ID":"4281975621390077"}]}`],
    ['keepalive', LeaseKeepAliveResponseDesc, { header: header(15), id: 777n, ttl: 30 }, `{"header":${H(15)},"ID":"777","TTL":"30"}`],
    ['keepalive unknown lease', LeaseKeepAliveResponseDesc, { header: header(15), id: 12345n, ttl: 0 }, `{"header":${H(15)},"ID":"12345"}`],
    ['member list', MemberListResponseDesc, {
      header: clusterHeader,
      members: [{ id: MEMBER, name: 'probe', peerUrls: ['http://127.0.0.1:24380'], clientUrls: ['http://127.0.0.1:24379'] }],
    }, `{"header":${clusterH},"members":[{"ID":"${MEMBER}","name":"probe","peerURLs":["http://127.0.0.1:24380"],"clientURLs":["http://127.0.0.1:24379"]}]}`],
    ['member add learner', MemberAddResponseDesc, {
      header: clusterHeader,
      member: { id: 1532630838478046n, name: '', peerUrls: ['http://127.0.0.1:24390'], clientUrls: [], isLearner: true },
      members: [],
    }, `{"header":${clusterH},"member":{"ID":"1532630838478046","peerURLs":["http://127.0.0.1:24390"],"isLearner":true}}`],
    ['status', StatusResponseDesc, {
      header: header(15), version: '3.4.23', dbSize: 24576, leader: MEMBER, raftIndex: 34, raftTerm: 2,
      raftAppliedIndex: 34, errors: [], dbSizeInUse: 16384, isLearner: false,
    }, `{"header":${H(15)},"version":"3.4.23","dbSize":"24576","leader":"${MEMBER}","raftIndex":"34","raftTerm":"2","raftAppliedIndex":"34","dbSizeInUse":"16384"}`],
    ['hash is a number', HashResponseDesc, { header: header(15), hash: 1570021628 }, `{"header":${H(15)},"hash":1570021628}`],
    ['alarm (3.4: no header)', AlarmResponseDesc, { alarms: [{ memberId: MEMBER, alarm: 'NOSPACE' }] }, `{"alarms":[{"memberID":"${MEMBER}","alarm":"NOSPACE"}]}`],
    ['defragment', DefragmentResponseDesc, {}, '{}'],
    ['snapshot last chunk', SnapshotChunkDesc, { remainingBytes: 0, blob: new Uint8Array([0, 0, 0]) }, '{"blob":"AAAA"}'],
    ['snapshot chunk', SnapshotChunkDesc, { remainingBytes: 5, blob: new Uint8Array([1]) }, '{"remaining_bytes":"5","blob":"AQ=="}'],
  ])('%s', (_name, desc, value, expected) => {
    expect(encodeMessage(desc, value)).toBe(expected);
  });

  it('is valid JSON that round-trips through the decoder', async () => {
    const { decodeJson } = await import('../../src/api/json.js');
    const res = { header: header(8), succeeded: true, responses: [{ type: 'range', response: { header: inner(8), kvs: [kv('foo', 2, 8, 3, 'qux')], count: 1, more: false } }] };
    const decoded = decodeJson(TxnResponseDesc, encodeMessage(TxnResponseDesc, res as never));
    expect(decoded).toEqual({
      ...res,
      responses: [{ type: 'range', response: { header: inner(8), kvs: [kv('foo', 2, 8, 3, 'qux')], count: 1 } }],
    });
  });
});
