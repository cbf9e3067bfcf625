/** `/v3/maintenance/*`: status, hash, hashkv, alarm (NOSPACE blocks puts), defragment, move-leader, snapshot. */
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { KvError } from '../../src/util/errors.js';
import { b64, H, MEMBER } from '../api/examples.js';
import { newApp, post } from './helpers.js';

const { app, service } = newApp();
afterAll(() => app.close());

const error = (message: string, code: number) => JSON.stringify({ error: message, code, message });

describe('maintenance routes', () => {
  it('status, hash (a JSON number) and hashkv (3.5.10+ path)', async () => {
    let res = await post(app, '/v3/maintenance/status', '{}');
    expect(res.body).toBe(
      `{"header":${H(1)},"version":"3.5.0","dbSize":"24576","leader":"${MEMBER}","raftIndex":"11","raftTerm":"2","raftAppliedIndex":"11","dbSizeInUse":"16384"}`,
    );
    res = await post(app, '/v3/maintenance/hash', '{}');
    expect(typeof JSON.parse(res.body).hash).toBe('number');
    res = await post(app, '/v3/maintenance/hashkv', '{"revision":"1"}');
    expect(Object.keys(JSON.parse(res.body))).toEqual(['header', 'hash']);
    res = await post(app, '/v3/maintenance/hashkv', '{"revision":"9"}');
    expect([res.statusCode, JSON.parse(res.body).code]).toEqual([400, 11]);
  });

  it('alarm: activate NOSPACE → puts get 429, deletes still work, status lists it; deactivate clears', async () => {
    let res = await post(app, '/v3/maintenance/alarm', `{"action":"ACTIVATE","memberID":"${MEMBER}","alarm":"NOSPACE"}`);
    expect(JSON.parse(res.body).alarms).toEqual([{ memberID: String(MEMBER), alarm: 'NOSPACE' }]);
    res = await post(app, '/v3/kv/put', { key: b64('k'), value: b64('v') });
    expect([res.statusCode, res.body]).toEqual([429, error('etcdserver: mvcc: database space exceeded', 8)]);
    expect((await post(app, '/v3/kv/deleterange', { key: b64('k') })).statusCode).toBe(200);
    expect(JSON.parse((await post(app, '/v3/maintenance/status', '{}')).body).errors).toEqual([`memberID:${MEMBER} alarm:NOSPACE `]);
    res = await post(app, '/v3/maintenance/alarm', '{}');
    expect(JSON.parse(res.body).alarms).toHaveLength(1);
    res = await post(app, '/v3/maintenance/alarm', `{"action":2,"memberID":"${MEMBER}","alarm":1}`);
    expect(JSON.parse(res.body).alarms).toEqual([{ memberID: String(MEMBER), alarm: 'NOSPACE' }]);
    expect((await post(app, '/v3/kv/put', { key: b64('k'), value: b64('v') })).statusCode).toBe(200);
  });

  it('defragment and transfer-leadership answer {}; errors as etcd', async () => {
    expect((await post(app, '/v3/maintenance/defragment', '{}')).body).toBe('{}');
    expect((await post(app, '/v3/maintenance/transfer-leadership', `{"targetID":"${MEMBER}"}`)).body).toBe('{}');
    let res = await post(app, '/v3/maintenance/transfer-leadership', '{"targetID":"5"}');
    expect([res.statusCode, res.body]).toEqual([404, error('etcdserver: member not found', 5)]);
    service.leader = 0n;
    res = await post(app, '/v3/maintenance/transfer-leadership', `{"targetID":"${MEMBER}"}`);
    service.leader = MEMBER;
    expect([res.statusCode, res.body]).toEqual([400, error('etcdserver: not leader', 9)]);
  });

  it('snapshot streams 32 KiB blobs with remaining_bytes, nil padding to 512-byte pages, then the SHA-256 of what was sent', async () => {
    const res = await post(app, '/v3/maintenance/snapshot', '{}');
    expect(res.statusCode).toBe(200);
    const lines = res.body.split('\n').filter((l) => l !== '');
    const messages = lines.map((l) => JSON.parse(l).result as { remaining_bytes?: string; blob: string });
    const blobs = messages.map((m) => Buffer.from(m.blob, 'base64'));
    // 70000 bytes pad to 70144 = 137 pages of 512: etcdctl's size check is (size - 32) % 512 == 0.
    const padded = 137 * 512;
    expect(blobs.map((b) => b.length)).toEqual([32768, 32768, 70000 - 65536, padded - 70000, 32]);
    expect(messages.map((m) => m.remaining_bytes)).toEqual([String(padded - 32768), String(padded - 65536), String(padded - 70000), undefined, undefined]);
    const data = Buffer.concat(blobs.slice(0, -1));
    expect(data.subarray(0, 70000).equals(Buffer.from(service.snapshotBytes))).toBe(true);
    expect([...data.subarray(70000)].every((b) => b === 0xc0)).toBe(true);
    expect((data.length + 32) % 512).toBe(32);
    expect(blobs.at(-1)!.equals(createHash('sha256').update(data).digest())).toBe(true);
  });

  it('snapshot: a failure before the first blob carries the mapped status and the stream error chunk; a bad body is 400', async () => {
    service.failNext('snapshot', new KvError('NoLeader'));
    let res = await post(app, '/v3/maintenance/snapshot', '{}');
    expect([res.statusCode, JSON.parse(res.body)]).toEqual([
      503,
      { error: { grpc_code: 14, http_code: 503, message: 'etcdserver: no leader', http_status: 'Service Unavailable' } },
    ]);
    res = await post(app, '/v3/maintenance/snapshot', '{"x":');
    expect([res.statusCode, JSON.parse(res.body).code]).toEqual([400, 3]);
  });
});
