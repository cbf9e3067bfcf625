/** `/v3/kv/*` through the fake service: the reference's §3 KV session, byte for byte. */
import { afterAll, describe, expect, it } from 'vitest';
import { b64, H } from '../api/examples.js';
import { newApp, post } from './helpers.js';

const { app } = newApp();
afterAll(() => app.close());

describe('the reference KV session (§3)', () => {
  it('put, put with prev_kv, range, missing key', async () => {
    let res = await post(app, '/v3/kv/put', '{"key":"Zm9v","value":"YmFy"}');
    expect([res.statusCode, res.body]).toEqual([200, `{"header":${H(2)}}`]);
    expect(res.headers['content-type']).toBe('application/json');
    res = await post(app, '/v3/kv/put', '{"key":"Zm9v","value":"YmF6","prev_kv":true}');
    expect(res.body).toBe(`{"header":${H(3)},"prev_kv":{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}}`);
    res = await post(app, '/v3/kv/range', '{"key":"Zm9v"}');
    expect(res.body).toBe(`{"header":${H(3)},"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"3","version":"2","value":"YmF6"}],"count":"1"}`);
    res = await post(app, '/v3/kv/range', '{"key":"bm90aGluZw=="}');
    expect([res.statusCode, res.body]).toEqual([200, `{"header":${H(3)}}`]);
  });

  it('limit, count, min_mod_revision with keys_only, future revision, empty key', async () => {
    for (const k of ['a/1', 'a/2', 'a/3']) await post(app, '/v3/kv/put', { key: b64(k), value: b64('v') });
    let res = await post(app, '/v3/kv/range', '{"key":"YS8=","range_end":"YTA=","limit":2}');
    const body = JSON.parse(res.body);
    expect(body.kvs.map((kv: { key: string }) => kv.key)).toEqual([b64('a/1'), b64('a/2')]);
    expect([body.more, body.count]).toEqual([true, '3']);
    res = await post(app, '/v3/kv/range', '{"key":"YS8=","range_end":"YTA=","min_mod_revision":6,"keys_only":true}');
    expect(res.body).toBe(`{"header":${H(6)},"kvs":[{"key":"YS8z","create_revision":"6","mod_revision":"6","version":"1"}],"count":"3"}`);
    res = await post(app, '/v3/kv/range', '{"key":"YS8=","range_end":"YTA=","revision":"1000"}');
    expect([res.statusCode, res.body]).toEqual([
      400,
      '{"error":"etcdserver: mvcc: required revision is a future revision","code":11,"message":"etcdserver: mvcc: required revision is a future revision"}',
    ]);
    res = await post(app, '/v3/kv/range', '{"key":""}');
    expect([res.statusCode, res.body]).toEqual([400, '{"error":"etcdserver: key is not provided","code":3,"message":"etcdserver: key is not provided"}']);
  });

  it('txn: success with the range seeing the put, failure, nested, empty, duplicate keys', async () => {
    let res = await post(
      app,
      '/v3/kv/txn',
      '{"compare":[{"target":"VALUE","key":"Zm9v","result":"EQUAL","value":"YmF6"}],' +
        '"success":[{"request_put":{"key":"Zm9v","value":"cXV4","prev_kv":true}},{"request_range":{"key":"Zm9v"}}],' +
        '"failure":[{"request_range":{"key":"Zm9v"}}]}',
    );
    expect(res.body).toBe(
      `{"header":${H(7)},"succeeded":true,"responses":[` +
        '{"response_put":{"header":{"revision":"7"},"prev_kv":{"key":"Zm9v","create_revision":"2","mod_revision":"3","version":"2","value":"YmF6"}}},' +
        '{"response_range":{"header":{"revision":"7"},"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"7","version":"3","value":"cXV4"}],"count":"1"}}]}',
    );
    res = await post(app, '/v3/kv/txn', '{"compare":[{"target":"CREATE","key":"Zm9v","result":"EQUAL","create_revision":"0"}],"failure":[{"request_range":{"key":"Zm9v"}}]}');
    const failed = JSON.parse(res.body);
    expect(failed.succeeded).toBeUndefined();
    expect(failed.responses[0].response_range.count).toBe('1');
    res = await post(app, '/v3/kv/txn', '{"success":[{"request_delete_range":{"key":"YS8z","prev_kv":true}},{"request_txn":{"success":[{"request_range":{"key":"Yg=="}}]}}]}');
    expect(res.body).toBe(
      `{"header":${H(8)},"succeeded":true,"responses":[` +
        '{"response_delete_range":{"header":{"revision":"8"},"deleted":"1","prev_kvs":[{"key":"YS8z","create_revision":"6","mod_revision":"6","version":"1","value":"dg=="}]}},' +
        '{"response_txn":{"header":{},"succeeded":true,"responses":[{"response_range":{"header":{"revision":"8"}}}]}}]}',
    );
    res = await post(app, '/v3/kv/txn', '{}');
    expect(res.body).toBe(`{"header":${H(8)},"succeeded":true}`);
    res = await post(app, '/v3/kv/txn', `{"success":[{"request_put":{"key":"azE=","value":"MQ=="}},{"request_put":{"key":"azE=","value":"Mg=="}}]}`);
    expect([res.statusCode, JSON.parse(res.body)]).toEqual([400, { error: 'etcdserver: duplicate key given in txn request', code: 3, message: 'etcdserver: duplicate key given in txn request' }]);
    res = await post(app, '/v3/kv/txn', '{"success":[{}]}');
    expect([res.statusCode, JSON.parse(res.body).error]).toEqual([400, 'etcdserver: key not found']);
  });

  it('deleterange, compaction, then reading a compacted revision', async () => {
    let res = await post(app, '/v3/kv/deleterange', '{"key":"YS8=","range_end":"YTA=","prev_kv":true}');
    const del = JSON.parse(res.body);
    expect([del.header.revision, del.deleted, del.prev_kvs.length]).toEqual(['9', '2', 2]);
    res = await post(app, '/v3/kv/compaction', '{"revision":"3","physical":true}');
    expect(res.body).toBe(`{"header":${H(9)}}`);
    res = await post(app, '/v3/kv/range', '{"key":"Zm9v","revision":"2"}');
    expect([res.statusCode, JSON.parse(res.body)]).toEqual([
      400,
      { error: 'etcdserver: mvcc: required revision has been compacted', code: 11, message: 'etcdserver: mvcc: required revision has been compacted' },
    ]);
    res = await post(app, '/v3/kv/compaction', '{"revision":"3"}');
    expect([res.statusCode, JSON.parse(res.body).code]).toEqual([400, 11]);
    res = await post(app, '/v3/kv/deleterange', '{"key":"bm9uZQ=="}');
    expect(res.body).toBe(`{"header":${H(9)}}`);
  });
});

describe('body handling (§1.1)', () => {
  it('decodes the body as JSON whatever the Content-Type, ignoring trailing bytes', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'application/json', 'application/octet-stream']) {
      const res = await post(app, '/v3/kv/range', '{"key":"Zm9v"} xyz', { 'content-type': type });
      expect([res.statusCode, JSON.parse(res.body).count]).toEqual([200, '1']);
    }
    const res = await app.inject({ method: 'POST', url: '/v3/kv/range', payload: Buffer.from('{"key":"Zm9v"}') });
    expect(res.statusCode).toBe(200);
  });

  it('treats an empty body as the empty message', async () => {
    let res = await post(app, '/v3/kv/range');
    expect(JSON.parse(res.body).error).toBe('etcdserver: key is not provided');
    res = await post(app, '/v3/kv/txn', '  ');
    expect(res.statusCode).toBe(200);
  });
});
