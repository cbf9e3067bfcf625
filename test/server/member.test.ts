import { afterEach, describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';
import type { Member } from '../../src/server/member.js';
import { isKvError } from '../../src/util/errors.js';
import { SERVER_VERSION } from '../../src/util/version.js';
import { eventually, startCluster, type TestCluster } from './cluster-harness.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

const get = async (c: TestCluster, name: string, key: string, serializable = false) => {
  const r = await (c.members.get(name) as NonNullable<ReturnType<typeof c.members.get>>).range({ key: utf8(key), serializable });
  return r.kvs[0] === undefined ? undefined : fromUtf8(r.kvs[0].value);
};

describe('a single member', () => {
  it('elects itself, serves writes and linearizable reads, and restarts with its data', async () => {
    cluster = await startCluster(1);
    const m = await cluster.leader();
    const put = await m.put({ key: utf8('a'), value: utf8('1') });
    expect(put.revision).toBe(2);
    await m.put({ key: utf8('a'), value: utf8('2') });
    const txn = await m.txn({
      compare: [{ key: utf8('a'), target: 'VALUE', result: 'EQUAL', value: utf8('2') }],
      success: [{ type: 'put', request: { key: utf8('b'), value: utf8('x') } }],
    });
    expect(txn.succeeded).toBe(true);
    expect(await get(cluster, 'm1', 'a')).toBe('2');
    await cluster.stop('m1');
    await cluster.start('m1');
    await cluster.leader();
    expect(await get(cluster, 'm1', 'b')).toBe('x');
    const r = await (cluster.members.get('m1') as NonNullable<ReturnType<typeof cluster.members.get>>).range({ key: utf8('a') });
    expect(r.kvs[0]?.version).toBe(2);
    expect(r.revision).toBe(4);
  });

  it('pitfall 7: a power loss never loses an acknowledged write', async () => {
    cluster = await startCluster(1);
    const m = await cluster.leader();
    const acked: string[] = [];
    for (let i = 0; i < 30; i++) {
      await m.put({ key: utf8(`k${i}`), value: utf8(`v${i}`) });
      acked.push(`k${i}`);
    }
    await cluster.crash('m1', 3);
    await cluster.start('m1');
    await cluster.leader();
    for (const k of acked) expect(await get(cluster, 'm1', k)).toBe(`v${k.slice(1)}`);
  });

  it('refuses an oversized request with etcd request-too-large', async () => {
    cluster = await startCluster(1, { maxRequestBytes: 1024 });
    const m = await cluster.leader();
    await expect(m.put({ key: utf8('big'), value: new Uint8Array(4096) })).rejects.toSatisfy((e: unknown) =>
      isKvError(e, 'RequestTooLarge'),
    );
  });
});

describe('three members', () => {
  it('replicates writes made through any member and serves linearizable reads from any other', async () => {
    cluster = await startCluster(3);
    const leader = await cluster.leader();
    const followers = cluster.names.filter((n) => cluster?.members.get(n) !== leader);
    const [f1, f2] = followers as [string, string];
    await cluster.members.get(f1)?.put({ key: utf8('x'), value: utf8('from-follower') });
    expect(await get(cluster, f2, 'x')).toBe('from-follower');
    await leader.put({ key: utf8('x'), value: utf8('from-leader') });
    expect(await get(cluster, f1, 'x')).toBe('from-leader');
    const hashes = await eventually(async () => {
      const hs = await Promise.all([...cluster!.members.values()].map((m) => m.hashKV()));
      expect(new Set(hs.map((h) => `${h.hash}@${h.revision}`)).size).toBe(1);
      return hs;
    });
    expect(hashes[0]?.revision).toBe(3);
  });

  it('streams committed events to a watcher on another member', async () => {
    cluster = await startCluster(3);
    const leader = await cluster.leader();
    const watcherName = cluster.names.find((n) => cluster?.members.get(n) !== leader) as string;
    const stream = cluster.members.get(watcherName)!.newWatchStream();
    stream.watch({ key: utf8('w/'), rangeEnd: utf8('w0') });
    await leader.put({ key: utf8('w/1'), value: utf8('a') });
    await leader.deleteRange({ key: utf8('w/1') });
    const seen: string[] = [];
    for await (const resp of stream) {
      for (const e of resp.events) seen.push(`${e.type} ${fromUtf8(e.kv.key)}`);
      if (seen.length >= 2) break;
    }
    expect(seen).toEqual(['PUT w/1', 'DELETE w/1']);
    stream.close();
  });

  it('elects a new leader after the leader stops and keeps every acknowledged write', async () => {
    cluster = await startCluster(3);
    const leader = await cluster.leader();
    for (let i = 0; i < 10; i++) await leader.put({ key: utf8(`k${i}`), value: utf8(`${i}`) });
    const leaderName = cluster.names.find((n) => cluster?.members.get(n) === leader) as string;
    await cluster.stop(leaderName);
    const next = await cluster.leader();
    expect(next).not.toBe(leader);
    await next.put({ key: utf8('after'), value: utf8('yes') });
    for (const name of cluster.members.keys()) {
      for (let i = 0; i < 10; i++) expect(await get(cluster, name, `k${i}`)).toBe(`${i}`);
      expect(await get(cluster, name, 'after')).toBe('yes');
    }
    await cluster.start(leaderName);
    expect(await eventually(async () => {
      const v = await get(cluster!, leaderName, 'after', true);
      if (v !== 'yes') throw new Error('not caught up');
      return v;
    })).toBe('yes');
  });

  /** Waits until `member` holds the leader's key space: same revision, same hash. */
  const expectSameKeySpace = (leader: Member, member: Member, ms: number) =>
    eventually(async () => {
      const [a, b] = await Promise.all([leader.hashKV(), member.hashKV()]);
      expect(b.revision).toBe(a.revision);
      expect(b.hash).toBe(a.hash);
    }, ms);

  it('catches a lagging follower up by snapshot after the leader compacted its log', async () => {
    cluster = await startCluster(3, { snapshotCount: 20, snapshotCatchUpEntries: 5 });
    const leader = await cluster.leader();
    const laggard = cluster.names.find((n) => cluster?.members.get(n) !== leader) as string;
    const laggardId = cluster.members.get(laggard)!.id;
    cluster.network.isolate(laggardId);
    for (let i = 0; i < 60; i++) await leader.put({ key: utf8(`s${i}`), value: utf8(`${i}`) });
    cluster.network.heal();
    await expectSameKeySpace(leader, cluster.members.get(laggard)!, 10_000);
    expect(await get(cluster, laggard, 's59', true)).toBe('59');
    expect(await cluster.members.get(laggard)!.metrics.render()).toMatch(/etcd_network_snapshot_receive_success\{From="[0-9a-f]+"\} 1/);
    // After installing the leader's backend it must still be itself: restart and check its ID.
    await cluster.stop(laggard);
    const again = await cluster.start(laggard);
    expect(again.id).toBe(laggardId);
    expect(await get(cluster, laggard, 's59', true)).toBe('59');
  });

  it('sends a snapshot larger than the transport cuts it into (chaos seed 1200: a learner never caught up)', async () => {
    cluster = await startCluster(3, { snapshotCount: 20, snapshotCatchUpEntries: 5 });
    const leader = await cluster.leader();
    const laggard = cluster.names.find((n) => cluster?.members.get(n) !== leader) as string;
    cluster.network.isolate(cluster.members.get(laggard)!.id);
    // 60 × 40 KiB: the backend's 1 MiB snapshot chunks get re-cut into the transport's 256 KiB pieces.
    const big = new Uint8Array(40 * 1024).fill(7);
    for (let i = 0; i < 60; i++) await leader.put({ key: utf8(`big${i}`), value: big });
    cluster.network.heal();
    await expectSameKeySpace(leader, cluster.members.get(laggard)!, 15_000);
  });
});

describe('leases', () => {
  it('revokes an expired lease through raft on every member, and keep-alive holds one', async () => {
    cluster = await startCluster(3);
    const leader = await cluster.leader();
    const follower = [...cluster.members.values()].find((m) => m !== leader)!;
    const short = await follower.leases.grant(0, 1);
    const kept = await follower.leases.grant(0, 1);
    expect(short.id).not.toBe(kept.id);
    expect(short.ttl).toBe(1);
    await follower.put({ key: utf8('eph'), value: utf8('x'), lease: short.id });
    await follower.put({ key: utf8('held'), value: utf8('y'), lease: kept.id });
    await expect(follower.put({ key: utf8('bad'), value: utf8('z'), lease: 12345 })).rejects.toSatisfy((e: unknown) =>
      isKvError(e, 'LeaseNotFound'),
    );
    expect(follower.leases.timeToLive(short.id, true).keys?.map(fromUtf8)).toEqual(['eph']);
    const renewer = setInterval(() => void leader.leases.renew(kept.id).catch(() => undefined), 200);
    try {
      for (const name of cluster.names) {
        await eventually(async () => expect(await get(cluster!, name, 'eph', true)).toBeUndefined(), 6000);
      }
      for (const name of cluster.names) expect(await get(cluster, name, 'held')).toBe('y');
      expect(follower.leases.timeToLive(short.id, false).ttl).toBe(-1);
      expect(leader.leases.list()).toEqual([kept.id]);
    } finally {
      clearInterval(renewer);
    }
    await leader.leases.revoke(kept.id);
    expect(await get(cluster, cluster.names[0] as string, 'held')).toBeUndefined();
  });
});

describe('membership changes', () => {
  it('removes a member: the rest keep committing, the removed one cannot commit, its ID is never reused', async () => {
    const { removeMember, updateMember } = await import('../../src/server/membership-changes.js');
    cluster = await startCluster(3);
    const leader = await cluster.leader();
    const victimName = cluster.names.find((n) => cluster!.members.get(n) !== leader) as string;
    const victim = cluster.members.get(victimName)!;
    const members = await removeMember(leader, victim.id);
    expect(members.map((m) => m.id)).not.toContain(victim.id);
    expect(members).toHaveLength(2);
    expect(cluster.logs.some((l) => l.endsWith(': member removed'))).toBe(true);
    await leader.put({ key: utf8('after-remove'), value: utf8('1') });
    const other = [...cluster.members.values()].find((m) => m !== leader && m !== victim)!;
    expect((await other.range({ key: utf8('after-remove') })).kvs).toHaveLength(1);
    // Removed: whatever it was told, it can no longer get a write committed anywhere.
    await expect(victim.put({ key: utf8('from-removed'), value: utf8('y') })).rejects.toSatisfy(
      (e: unknown) => isKvError(e, 'Stopped') || isKvError(e, 'Timeout'),
    );
    expect((await leader.range({ key: utf8('from-removed') })).kvs).toHaveLength(0);
    await expect(removeMember(leader, victim.id)).rejects.toSatisfy((e: unknown) => isKvError(e, 'MemberNotFound'));
    expect(leader.cluster.isRemoved(victim.id)).toBe(true);

    const updated = await updateMember(leader, other.id, ['http://moved:2380']);
    expect(updated.find((m) => m.id === other.id)?.peerUrls).toEqual(['http://moved:2380']);
    await expect(updateMember(leader, other.id, ['not a url'])).rejects.toSatisfy((e: unknown) => isKvError(e, 'InvalidPeerURLs'));
  });
});

describe('quota and alarms', () => {
  it('raises NOSPACE past --quota-backend-bytes: writes refused, deletes and compaction allowed, disarm restores', async () => {
    cluster = await startCluster(1, { quotaBackendBytes: 64 * 1024 });
    const m = await cluster.leader();
    const big = new Uint8Array(4096);
    let caught: unknown;
    let written = 0;
    for (let i = 0; i < 100 && caught === undefined; i++) {
      try {
        await m.put({ key: utf8(`big${i}`), value: big });
        written++;
      } catch (err) {
        caught = err;
      }
      // The size the quota check uses is refreshed every second; let it see the growth.
      if (i % 4 === 3) await new Promise((r) => setTimeout(r, 1100));
    }
    expect(isKvError(caught, 'NoSpace')).toBe(true);
    expect(written).toBeGreaterThan(5);
    await eventually(() => expect(m.alarms.list()).toEqual([{ memberId: m.id, alarm: 'NOSPACE' }]));
    await expect(m.put({ key: utf8('more'), value: utf8('x') })).rejects.toSatisfy((e: unknown) => isKvError(e, 'NoSpace'));
    const txnPut = m.txn({ success: [{ type: 'put', request: { key: utf8('t'), value: utf8('x') } }] });
    await expect(txnPut).rejects.toSatisfy((e: unknown) => isKvError(e, 'NoSpace'));
    const del = await m.deleteRange({ key: utf8('big'), rangeEnd: utf8('bih') });
    expect(del.deleted).toBe(written);
    await (await m.compact(del.revision)).physical;
    const { MemberService } = await import('../../src/server/service.js');
    const service = new MemberService(m);
    expect((await service.alarm({ action: 'GET' })).alarms).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1100));
    await service.alarm({ action: 'DEACTIVATE' });
    expect(m.alarms.list()).toEqual([]);
    await m.put({ key: utf8('after-disarm'), value: utf8('ok') });
  });
});

describe('member metrics', () => {
  it('updates committed proposals, watchers, leases and the version, not just registers them', async () => {
    cluster = await startCluster(1);
    const m = await cluster.leader();
    await m.put({ key: utf8('metric'), value: utf8('1') });
    const stream = m.newWatchStream();
    stream.watch({ key: utf8('metric') });
    const lease = await m.leases.grant(0, 60);
    await m.leases.renew(lease.id);
    await m.leases.revoke(lease.id);
    await eventually(async () => {
      const text = await m.metrics.render();
      expect(text).toMatch(/^etcd_server_proposals_committed_total [1-9]/m);
      expect(text).toMatch(/^etcd_debugging_mvcc_watcher_total 1$/m);
      expect(text).toMatch(/^etcd_debugging_lease_granted_total 1$/m);
      expect(text).toMatch(/^etcd_debugging_lease_renewed_total 1$/m);
      expect(text).toMatch(/^etcd_debugging_lease_revoked_total 1$/m);
      // The server version: etcd's tested release with cairn's as build metadata.
      expect(text).toContain(`\netcd_server_version{server_version="${SERVER_VERSION}"} 1\n`);
      expect(SERVER_VERSION).toMatch(/^3\.4\.\d+\+cairn\.\d+\.\d+\.\d+$/);
      expect(text).toMatch(/^etcd_server_is_learner 0$/m);
    }, 3000);
    stream.close();
  });
});

describe('peer metrics', () => {
  it("reports bytes sent to and received from each peer under etcd's names", async () => {
    cluster = await startCluster(3);
    const leader = await cluster.leader();
    for (let i = 0; i < 5; i++) await leader.put({ key: utf8(`m${i}`), value: utf8('x') });
    await eventually(async () => {
      const text = await leader.metrics.render();
      expect(text).toMatch(/etcd_network_peer_sent_bytes_total\{To="[0-9a-f]+"\} [1-9]/);
      expect(text).toMatch(/etcd_network_peer_received_bytes_total\{From="[0-9a-f]+"\} [1-9]/);
    }, 4000);
  });
});

describe('move-leader', () => {
  it('hands leadership to a voter; refuses on a follower and for an unknown target', async () => {
    const { MemberService } = await import('../../src/server/service.js');
    cluster = await startCluster(3);
    const leader = await cluster.leader();
    const target = [...cluster.members.values()].find((m) => m !== leader)!;
    await expect(new MemberService(target).moveLeader({ targetId: BigInt(leader.id) })).rejects.toSatisfy((e: unknown) => isKvError(e, 'NotLeader'));
    await expect(new MemberService(leader).moveLeader({ targetId: 12345n })).rejects.toSatisfy((e: unknown) => isKvError(e, 'BadLeaderTransferee'));
    await new MemberService(leader).moveLeader({ targetId: BigInt(target.id) });
    expect(target.isLeader).toBe(true);
    expect(leader.isLeader).toBe(false);
    await target.put({ key: utf8('after-transfer'), value: utf8('1') });
    expect((await leader.range({ key: utf8('after-transfer') })).kvs).toHaveLength(1);
  });
});
