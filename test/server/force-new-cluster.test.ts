/**
 * Quorum loss recovery (issue 15 item 7): a 3-member cluster loses two members for good; the
 * survivor restarted with --force-new-cluster serves reads and writes over its old data (keys,
 * revisions, leases), as a one-member cluster, durably: it restarts without the flag fine, and a
 * removed member coming back is told it was removed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemberService } from '../../src/server/service.js';
import { startCluster, eventually, type TestCluster } from './cluster-harness.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

describe('--force-new-cluster', () => {
  it('turns the survivor of a lost quorum into a one-member cluster keeping keys, revisions and leases', async () => {
    cluster = await startCluster(3);
    const leader = new MemberService(await cluster.leader());
    const lease = await leader.leaseGrant({ id: 0n, ttl: 600 });
    for (let i = 0; i < 5; i++) await leader.put({ key: enc(`k${i}`), value: enc(`v${i}`) });
    await leader.put({ key: enc('leased'), value: enc('x'), lease: lease.id });
    const m1 = cluster.members.get('m1');
    await eventually(async () => expect((await new MemberService(m1!).range({ key: enc('leased'), serializable: true })).kvs).toHaveLength(1));
    const revision = (await new MemberService(m1!).range({ key: enc('k0'), serializable: true })).header.revision;
    const oldIds = m1!.memberList().map((m) => m.id);

    // Two members are lost: no quorum is left, the survivor cannot serve a linearizable read.
    await cluster.stop('m2');
    await cluster.stop('m3');
    await cluster.stop('m1');

    const forced = await cluster.start('m1', {}, { forceNewCluster: true });
    const survivor = new MemberService(forced);
    await cluster.leader();
    expect(forced.memberList().map((m) => m.id)).toEqual([forced.id]);
    expect(forced.cluster.clusterId).toBe(m1!.cluster.clusterId);
    const old = await survivor.range({ key: enc('k'), rangeEnd: enc('l') });
    expect(old.kvs.map((kv) => dec(kv.value))).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    expect(old.header.revision).toBe(revision);
    expect((await survivor.leaseTimeToLive({ id: lease.id, keys: true })).keys?.map(dec)).toEqual(['leased']);
    const put = await survivor.put({ key: enc('after'), value: enc('forced') });
    expect(put.header.revision).toBe(revision + 1);
    const log = cluster.logs.filter((l) => l.startsWith('m1: --force-new-cluster'));
    expect(log).toHaveLength(1);
    expect(log[0]).toContain('removed 2 member(s)');
    for (const id of oldIds.filter((id) => id !== forced.id)) expect(log[0]).toContain(id.toString(16));

    // The new configuration is durable: a plain restart is still a one-member cluster.
    await cluster.stop('m1');
    const again = new MemberService(await cluster.start('m1'));
    await cluster.leader();
    expect((await again.range({ key: enc('after') })).kvs.map((kv) => dec(kv.value))).toEqual(['forced']);
    await again.put({ key: enc('later'), value: enc('y') });
    expect(again.member.memberList()).toHaveLength(1);

    // A removed member that comes back is refused, as etcd's are.
    const ghost = await cluster.start('m2');
    await ghost.whenRemoved();
  });

  it('is a no-op for a member that is alone already', async () => {
    cluster = await startCluster(1);
    await new MemberService(await cluster.leader()).put({ key: enc('a'), value: enc('1') });
    await cluster.stop('m1');
    const m = new MemberService(await cluster.start('m1', {}, { forceNewCluster: true }));
    await cluster.leader();
    expect((await m.range({ key: enc('a') })).kvs).toHaveLength(1);
    expect(cluster.logs.some((l) => l.includes('this member is already the only one'))).toBe(true);
  });
});
