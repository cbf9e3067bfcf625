/** A member revokes a lease with more keys than --max-txn-ops (etcd's revoke is not capped). */
import { afterEach, describe, expect, it } from 'vitest';
import { utf8 } from '../../src/util/bytes.js';
import { eventually, startCluster, type TestCluster } from './cluster-harness.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

const KEYS = 200; // > the default --max-txn-ops of 128

describe('lease revoke on members', () => {
  it(`revokes a lease with ${KEYS} keys on every member, in one revision`, async () => {
    cluster = await startCluster(3);
    const leader = await cluster.leader();
    const { id } = await leader.leases.grant(0, 60);
    for (let i = 0; i < KEYS; i++) await leader.put({ key: utf8(`l/${String(i).padStart(3, '0')}`), value: utf8('v'), lease: id });
    const before = (await leader.range({ key: utf8('l/'), rangeEnd: utf8('l0'), countOnly: true })).revision;
    await leader.leases.revoke(id);
    for (const name of cluster.names) {
      const member = cluster.members.get(name)!;
      await eventually(async () => {
        const r = await member.range({ key: utf8('l/'), rangeEnd: utf8('l0'), countOnly: true, serializable: true });
        expect({ count: r.count, revision: r.revision, leases: member.leases.list() }).toEqual({ count: 0, revision: before + 1, leases: [] });
      });
    }
  }, 20_000);
});
