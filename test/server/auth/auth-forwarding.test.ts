/**
 * Calls a follower forwards to the leader's client URL (lease keep-alive and time-to-live,
 * member promote) carry the caller's token, so they keep working with auth on: the leader checks
 * the token again (simple tokens are applied on every member).
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/http/app.js';
import { CallerService } from '../../../src/server/auth/caller-service.js';
import type { Member } from '../../../src/server/member.js';
import { MemberService } from '../../../src/server/service.js';
import { KvError } from '../../../src/util/errors.js';
import { eventually, startCluster, type TestCluster } from '../cluster-harness.js';
import { authApp, call, fixture } from './auth-harness.js';

let cluster: TestCluster | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await cluster?.stopAll();
  cluster = undefined;
});

describe('forwarded calls with auth on', () => {
  it('carry the token to the leader: keep-alive, time-to-live and promote work from a follower', async () => {
    // One gateway for "the leader's client URL", serving whichever member leads at call time.
    let leader: Member | undefined;
    const caller = (creds: object) => {
      const m = leader as Member;
      return new CallerService(new MemberService(m), m.auth, creds);
    };
    app = buildApp({ service: {} as never, caller });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const c = (cluster = await startCluster(3, { bcryptCost: 4, advertiseClientUrls: [url] }));
    leader = await c.leader();
    const follower = [...c.members.values()].find((m) => m !== leader) as Member;
    await eventually(() => expect(leader!.memberList().every((m) => m.clientUrls[0] === url)).toBe(true));
    const t = await fixture(authApp(leader));
    const lease = (await call(authApp(leader), '/v3/lease/grant', { TTL: '30' }, t.alice)).body['ID'] as string;
    await eventually(() => expect(follower.leases.list()).toContain(Number(lease)));

    const viaFollower = new CallerService(new MemberService(follower), follower.auth, { token: t.alice });
    expect((await viaFollower.leaseKeepAlive({ id: BigInt(lease) })).ttl).toBe(30);
    expect((await viaFollower.leaseTimeToLive({ id: BigInt(lease) })).grantedTtl).toBe(30);
    const asRoot = new CallerService(new MemberService(follower), follower.auth, { token: t.root });
    const refused = await asRoot.memberPromote({ id: BigInt(leader.id) }).catch((e: unknown) => e);
    expect((refused as KvError).message).toBe('etcdserver: can only promote a learner member'); // the leader's verdict, not an auth error
    const asAlice = await viaFollower.memberPromote({ id: BigInt(leader.id) }).catch((e: unknown) => e);
    expect((asAlice as KvError).message).toBe('etcdserver: permission denied');
  });
});
