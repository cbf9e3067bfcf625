/** `/v3/cluster/member/*`: headers without revision, member shapes, etcd's errors. */
import { afterAll, describe, expect, it } from 'vitest';
import { clusterH, MEMBER } from '../api/examples.js';
import { newApp, post } from './helpers.js';

const { app } = newApp();
afterAll(() => app.close());

const error = (message: string, code: number) => JSON.stringify({ error: message, code, message });

describe('cluster routes', () => {
  it('lists members with a header that has no revision', async () => {
    const res = await post(app, '/v3/cluster/member/list', '{}');
    expect(res.body).toBe(
      `{"header":${clusterH},"members":[{"ID":"${MEMBER}","name":"fake","peerURLs":["http://127.0.0.1:2380"],"clientURLs":["http://127.0.0.1:2379"]}]}`,
    );
    expect((await post(app, '/v3/cluster/member/list', '{"linearizable":true}')).statusCode).toBe(200);
  });

  it('adds a learner (no name or clientURLs until it starts), promotes, updates and removes it', async () => {
    let res = await post(app, '/v3/cluster/member/add', '{"peerURLs":["http://127.0.0.1:24390"],"isLearner":true}');
    const added = JSON.parse(res.body);
    expect(added.member).toEqual({ ID: '100', peerURLs: ['http://127.0.0.1:24390'], isLearner: true });
    expect(added.members).toHaveLength(2);
    res = await post(app, '/v3/cluster/member/add', '{"peerURLs":["http://127.0.0.1:24390"]}');
    expect([res.statusCode, res.body]).toEqual([400, error('etcdserver: Peer URLs already exists', 9)]);
    res = await post(app, '/v3/cluster/member/add', '{"peerURLs":["not a url"]}');
    expect([res.statusCode, res.body]).toEqual([400, error('etcdserver: given member URLs are invalid', 3)]);
    res = await post(app, '/v3/cluster/member/promote', '{"ID":"100"}');
    expect(JSON.parse(res.body).members[1].isLearner).toBeUndefined();
    res = await post(app, '/v3/cluster/member/promote', '{"ID":"100"}');
    expect([res.statusCode, res.body]).toEqual([400, error('etcdserver: can only promote a learner member', 9)]);
    res = await post(app, '/v3/cluster/member/update', '{"ID":"100","peerURLs":["http://127.0.0.1:24391"]}');
    expect(JSON.parse(res.body).members[1].peerURLs).toEqual(['http://127.0.0.1:24391']);
    res = await post(app, '/v3/cluster/member/remove', '{"ID":"100"}');
    expect(JSON.parse(res.body).members).toHaveLength(1);
    res = await post(app, '/v3/cluster/member/remove', '{"ID":"100"}');
    expect([res.statusCode, res.body]).toEqual([404, error('etcdserver: member not found', 5)]);
    res = await post(app, '/v3/cluster/member/update', '{"ID":"100","peerURLs":[]}');
    expect(res.statusCode).toBe(404);
  });
});
