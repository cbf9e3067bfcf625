/**
 * Promotion is decided on the leader (only it knows the learner's match index): a follower asked
 * to promote forwards the request to the leader's client URL, as etcd forwards it over peer HTTP,
 * and answers with the leader's answer (the success path is in membership-join.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KV } from '../../src/api/kv.js';
import { buildApp } from '../../src/http/app.js';
import { MemberService } from '../../src/server/service.js';
import { KvError } from '../../src/util/errors.js';
import { eventually, startCluster, type TestCluster } from './cluster-harness.js';

let cluster: TestCluster | undefined;
let closeApp: (() => Promise<void>) | undefined;

afterEach(async () => {
  await closeApp?.();
  closeApp = undefined;
  await cluster?.stopAll();
  cluster = undefined;
});

describe('member promote on a follower', () => {
  it('is forwarded to the leader, whose verdicts come back (an unready learner, a member that is no learner)', async () => {
    // One gateway for "the leader's client URL", serving whichever member leads at call time.
    let leaderService: MemberService | undefined;
    const service = new Proxy({} as KV, {
      get: (_target, prop) => {
        const s = leaderService as unknown as Record<string | symbol, unknown>;
        const v = s[prop];
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(s) : v;
      },
    });
    const app = buildApp({ service });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    closeApp = () => app.close();

    const c = (cluster = await startCluster(3, { advertiseClientUrls: [url] }));
    const leader = await c.leader();
    leaderService = new MemberService(leader);
    const follower = [...c.members.values()].find((m) => m !== leader);
    if (follower === undefined) throw new Error('no follower');
    await eventually(() => expect(leader.memberList().every((m) => m.clientUrls[0] === url)).toBe(true));

    const learner = await leaderService.memberAdd({ peerUrls: ['http://m4:2380'], isLearner: true });
    const refused = await new MemberService(follower).memberPromote({ id: learner.member.id }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KvError);
    expect((refused as KvError).message).toBe('etcdserver: can only promote a learner member which is in sync with leader');

    const notLearner = await new MemberService(follower).memberPromote({ id: BigInt(leader.id) }).catch((e: unknown) => e);
    expect((notLearner as KvError).message).toBe('etcdserver: can only promote a learner member');
  });
});
