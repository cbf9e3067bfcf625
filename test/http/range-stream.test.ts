/**
 * Large range responses leave in chunks as they are encoded (issue 15 item 2), with the same
 * bytes as the whole-string encoding (test/compat compares those with etcd itself).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage } from '../../src/api/json.js';
import { RangeResponseDesc } from '../../src/api/json/messages-kv.js';
import { listen, newApp, post } from './helpers.js';

const { app, service } = newApp();
let port = 0;
beforeAll(async () => {
  port = await listen(app);
  // 300 keys of 5 KB: 1.5 MB of values, above the 1 MiB from which a range is streamed.
  const value = Buffer.alloc(5000, 7).toString('base64');
  for (let i = 0; i < 300; i++) {
    const key = Buffer.from(`big/${String(i).padStart(3, '0')}`).toString('base64');
    await post(app, '/v3/kv/put', { key, value });
  }
});
afterAll(() => app.close());

const rangeReq = { key: Buffer.from('big/').toString('base64'), range_end: Buffer.from('big0').toString('base64') };

async function range(body: object): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/v3/kv/range`, { method: 'POST', body: JSON.stringify(body) });
}

describe('streamed range responses', () => {
  it('are chunked and byte-identical to the whole encoding, `more` and `count` included', async () => {
    for (const body of [rangeReq, { ...rangeReq, limit: 250 }]) {
      const res = await range(body);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.headers.get('transfer-encoding')).toBe('chunked');
      const expected = encodeMessage(RangeResponseDesc, await service.range({ key: Buffer.from('big/'), rangeEnd: Buffer.from('big0'), limit: body === rangeReq ? 0 : 250 }));
      expect(await res.text()).toBe(expected);
    }
  });

  it('keeps small responses whole, with a Content-Length', async () => {
    const res = await range({ key: Buffer.from('big/000').toString('base64') });
    expect(res.headers.get('content-length')).not.toBeNull();
    expect(JSON.parse(await res.text()).count).toBe('1');
  });
});
