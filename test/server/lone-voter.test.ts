/**
 * A single-member cluster leads at once on start and on restart (src/server/lone-voter.ts), not a
 * randomized election timeout later: with a 20 s election timeout it must lead well within it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, startCluster, type TestCluster } from './cluster-harness.js';
import { utf8 } from '../../src/util/bytes.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

const LONG = { heartbeatIntervalMs: 1000, electionTimeoutMs: 20_000 };

async function leadsWithin(c: TestCluster, ms: number): Promise<void> {
  const t0 = Date.now();
  await eventually(() => {
    const m = c.members.get('m1');
    if (m === undefined || m.leaderId !== m.id) throw new Error('not leading yet');
  }, ms);
  expect(Date.now() - t0).toBeLessThan(ms);
}

describe('a lone voter', () => {
  it('leads at once when it starts and when it restarts, far inside its election timeout', async () => {
    cluster = await startCluster(1, LONG);
    await leadsWithin(cluster, 3000);
    await cluster.members.get('m1')?.put({ key: utf8('k'), value: utf8('v') });
    await cluster.stop('m1');
    const restarted = await cluster.start('m1');
    await leadsWithin(cluster, 3000);
    expect((await restarted.range({ key: utf8('k') })).kvs.length).toBe(1);
  });

  it('a member of a three-member cluster still waits for an election', async () => {
    cluster = await startCluster(3, LONG);
    await new Promise((r) => setTimeout(r, 1000));
    expect([...cluster.members.values()].every((m) => m.leaderId === 0)).toBe(true);
  });
});
