/**
 * Runtime membership that needs a new member: `member add` (learner or voter), the new member
 * joining with `--initial-cluster-state existing` (it asks a peer for its ID), catching up by
 * snapshot, promotion, and a removed member learning it was removed from its peers' refusals.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MemberConfig } from '../../src/server/config.js';
import { Member } from '../../src/server/member.js';
import { isReadyToAddVotingMember } from '../../src/server/membership-changes.js';
import { Cluster } from '../../src/server/membership.js';
import { MemberService } from '../../src/server/service.js';
import { MemoryDataDir } from '../../src/storage/data-dir.js';
import { MemoryKvDir } from '../../src/storage/memory-kv-dir.js';
import { MemoryTransport, queryJoinInMemory } from '../../src/transport/memory-transport.js';
import { SystemClock } from '../../src/util/clock.js';
import { KvError } from '../../src/util/errors.js';
import { SeededRng } from '../../src/util/rng.js';
import { eventually, startCluster, type TestCluster } from './cluster-harness.js';

const enc = (s: string) => new TextEncoder().encode(s);

let cluster: TestCluster | undefined;
const extra: Member[] = [];

afterEach(async () => {
  for (const m of extra.splice(0)) await m.stop();
  await cluster?.stopAll();
  cluster = undefined;
});

/** Starts a member named `name` that joins `c` (its data dir is empty). */
async function startJoiner(c: TestCluster, name: string, disk = new MemoryKvDir(name)): Promise<Member> {
  const url = `http://${name}:2380`;
  const base = c.config('m1');
  const config: MemberConfig = {
    ...base,
    name,
    initialCluster: new Map([...base.initialCluster, [name, [url]]]),
    initialAdvertisePeerUrls: [url],
    listenPeerUrls: [url],
    initialClusterState: 'existing',
  };
  const member = await Member.start({
    config,
    dataDir: await MemoryDataDir.open(disk),
    clock: new SystemClock(),
    rng: new SeededRng(7),
    joinQuery: (target, peerUrls) => queryJoinInMemory(c.network, target, peerUrls),
    transport: (handler, ids) => new MemoryTransport({ id: ids.memberId, clusterId: ids.clusterId.toString(16), url, network: c.network, handler }),
  });
  extra.push(member);
  return member;
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KvError);
  expect((err as KvError).code).toBe(code);
}

/** Waits until every member has published its name (etcd's "started"). */
async function allStarted(c: TestCluster): Promise<void> {
  const leader = await c.leader();
  await eventually(() => expect(leader.memberList().every((m) => m.name !== '')).toBe(true));
}

describe('member add, join, promote', () => {
  it('adds a learner that joins, catches up, is promoted, and then counts toward the quorum', async () => {
    const c = (cluster = await startCluster(3));
    const leader = await c.leader();
    for (let i = 0; i < 20; i++) await leader.put({ key: enc(`k${i}`), value: enc(`v${i}`) });
    const added = await new MemberService(leader).memberAdd({ peerUrls: ['http://m4:2380'], isLearner: true });
    expect(added.member).toMatchObject({ name: '', isLearner: true, peerUrls: ['http://m4:2380'] });
    expect(added.members.map((m) => m.id)).toContain(added.member.id);

    const m4 = await startJoiner(c, 'm4');
    expect(BigInt(m4.id)).toBe(added.member.id);
    expect(m4.cluster.clusterId).toBe(leader.cluster.clusterId);
    await eventually(async () => {
      expect(m4.appliedIndex).toBeGreaterThanOrEqual(leader.appliedIndex);
      expect((await m4.hashKV()).hash).toBe((await leader.hashKV()).hash);
    });
    expect((await m4.status()).isLearner).toBe(true);
    // It publishes its name once it is a member, like any other.
    await eventually(() => expect(leader.cluster.get(m4.id)?.name).toBe('m4'));
    // As a learner it serves serializable reads only, as etcd's learners do.
    expect((await m4.range({ key: new TextEncoder().encode('x'), serializable: true })).revision).toBeGreaterThan(0);
    await expect(m4.put({ key: new TextEncoder().encode('x'), value: new Uint8Array(0) })).rejects.toThrow(/rpc not supported for learner/);
    await expect(m4.range({ key: new TextEncoder().encode('x') })).rejects.toThrow(/rpc not supported for learner/);

    const promoted = await eventually(() => new MemberService(leader).memberPromote({ id: BigInt(m4.id) }));
    expect(promoted.members.find((m) => m.id === BigInt(m4.id))?.isLearner).toBe(false);
    await eventually(() => expect(m4.cluster.get(m4.id)?.isLearner).toBe(false));

    // Four voters need three: with one original member gone, the new one is needed to commit.
    const current = await c.leader();
    const gone = c.names.find((n) => c.members.get(n) !== current) as string;
    await c.stop(gone);
    const writer = await c.leader();
    await eventually(() => writer.put({ key: enc('after'), value: enc('promotion') }), 8000);
    await eventually(async () => expect((await m4.range({ key: enc('after'), serializable: true })).kvs).toHaveLength(1));
  });

  it('gives a peer URL that is added again after removal a new ID', async () => {
    const c = (cluster = await startCluster(3));
    const service = new MemberService(await c.leader());
    const first = await service.memberAdd({ peerUrls: ['http://m9:2380'], isLearner: true });
    await service.memberRemove({ id: first.member.id });
    const second = await service.memberAdd({ peerUrls: ['http://m9:2380'], isLearner: true });
    expect(second.member.id).not.toBe(first.member.id);
    expect(second.members.filter((m) => m.peerUrls.includes('http://m9:2380'))).toHaveLength(1);
  });

  it('refuses invalid additions and promotions with etcd errors', async () => {
    const c = (cluster = await startCluster(3));
    const leader = await c.leader();
    const service = new MemberService(leader);
    await allStarted(c);
    await expectCode(service.memberAdd({ peerUrls: ['http://m1:2380'] }), 'PeerURLExists');
    await expectCode(service.memberAdd({ peerUrls: ['ftp://m5:2380'] }), 'InvalidPeerURLs');
    await expectCode(service.memberAdd({ peerUrls: ['not a url'] }), 'InvalidPeerURLs');
    await expectCode(service.memberAdd({ peerUrls: [] }), 'InvalidPeerURLs');
    // The flags' own rule (cairn serve would refuse to start with these as its peer URLs).
    await expectCode(service.memberAdd({ peerUrls: ['http://m5:2380/raft'] }), 'InvalidPeerURLs');
    await expectCode(service.memberAdd({ peerUrls: ['http://m5:2380?x=1'], isLearner: true }), 'InvalidPeerURLs');
    await expectCode(service.memberAdd({ peerUrls: ['http://m5'] }), 'InvalidPeerURLs');
    await expectCode(service.memberUpdate({ id: BigInt(leader.id), peerUrls: ['http://m1:2380/x'] }), 'InvalidPeerURLs');
    await expectCode(service.memberUpdate({ id: BigInt(leader.id), peerUrls: ['http://m1:2380#f'] }), 'InvalidPeerURLs');
    const learner = await service.memberAdd({ peerUrls: ['http://m5:2380'], isLearner: true });
    await expectCode(service.memberAdd({ peerUrls: ['http://m6:2380'], isLearner: true }), 'TooManyLearners');
    // Never started: it cannot be in sync with the leader.
    await expectCode(service.memberPromote({ id: learner.member.id }), 'LearnerNotReady');
    await expectCode(service.memberPromote({ id: BigInt(leader.id) }), 'MemberNotLearner');
    await expectCode(service.memberPromote({ id: 12345n }), 'MemberNotFound');
    await service.memberRemove({ id: learner.member.id });

    // etcd refuses a voter while this member is not connected to every voter.
    const down = c.names.find((n) => c.members.get(n) !== leader) as string;
    await c.stop(down);
    await eventually(() => expect(leader.activePeerIds().size).toBe(1));
    await expectCode(service.memberAdd({ peerUrls: ['http://m7:2380'] }), 'UnhealthyCluster');
    // A learner does not change the quorum: still allowed.
    await service.memberAdd({ peerUrls: ['http://m7:2380'], isLearner: true });
  });

  it('refuses a voter when too few voters have started (published) to form the new quorum', () => {
    const voter = (id: number, name: string) => ({ id, name, peerUrls: [`http://p${id}:2380`], clientUrls: [], isLearner: false });
    const table = (...names: string[]) => new Cluster(1, names.map((n, i) => voter(i + 1, n)));
    // etcd's exception: a one-member cluster may always grow to two (1 started < quorum 2).
    expect(isReadyToAddVotingMember(table('a'))).toBe(true);
    expect(isReadyToAddVotingMember(table('a', ''))).toBe(false);
    expect(isReadyToAddVotingMember(table('a', 'b', 'c'))).toBe(true);
    expect(isReadyToAddVotingMember(table('a', 'b', 'c', ''))).toBe(true);
    expect(isReadyToAddVotingMember(table('a', 'b', 'c', '', ''))).toBe(false);
    expect(isReadyToAddVotingMember(table('a', 'b', '', ''))).toBe(false);
  });

  it('a joiner stopped before its first snapshot restarts from its data dir with the same ID', async () => {
    const c = (cluster = await startCluster(3));
    const leader = await c.leader();
    await leader.put({ key: enc('k'), value: enc('v') });
    const added = await new MemberService(leader).memberAdd({ peerUrls: ['http://m4:2380'], isLearner: true });
    const disk = new MemoryKvDir('m4');
    c.network.isolate(Number(added.member.id)); // its raft traffic is cut: no snapshot arrives
    const first = await startJoiner(c, 'm4', disk);
    await new Promise((r) => setTimeout(r, 100));
    expect(first.appliedIndex).toBe(0);
    await first.stop();
    extra.splice(extra.indexOf(first), 1);
    const again = await startJoiner(c, 'm4', disk);
    expect(BigInt(again.id)).toBe(added.member.id);
    expect(again.appliedIndex).toBe(0);
    c.network.heal();
    await eventually(async () => expect((await again.hashKV()).hash).toBe((await leader.hashKV()).hash));
  });

  it('refuses to start a joiner that was never added, saying so', async () => {
    const c = (cluster = await startCluster(3));
    await c.leader();
    const err = await startJoiner(c, 'm8').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/no member with peer URLs http:\/\/m8:2380 in this cluster; run member add first/);
  });

  it('a voter added and joined takes part at once (no learner step)', async () => {
    const c = (cluster = await startCluster(3));
    const leader = await c.leader();
    await allStarted(c);
    await leader.put({ key: enc('a'), value: enc('1') });
    const added = await new MemberService(leader).memberAdd({ peerUrls: ['http://m4:2380'] });
    expect(added.member.isLearner).toBe(false);
    const m4 = await startJoiner(c, 'm4');
    await eventually(async () => expect((await m4.hashKV()).hash).toBe((await leader.hashKV()).hash));
    expect((await m4.status()).isLearner).toBe(false);
  });
});

describe('a removed member', () => {
  it('learns from its peers that it was removed and stops serving', async () => {
    const c = (cluster = await startCluster(3));
    const leader = await c.leader();
    const victimName = c.names.find((n) => c.members.get(n) !== leader) as string;
    const victim = c.members.get(victimName) as Member;
    // Cut off, it never sees the removal entry; only its peers' refusals can tell it.
    c.network.isolate(victim.id);
    await new MemberService(leader).memberRemove({ id: BigInt(victim.id) });
    c.network.heal();
    await eventually(async () => {
      const err = await victim.put({ key: enc('x'), value: enc('y') }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toBe('etcdserver: the member has been permanently removed from the cluster');
    });
    expect(leader.memberList().map((m) => m.id)).not.toContain(victim.id);
  });
});
