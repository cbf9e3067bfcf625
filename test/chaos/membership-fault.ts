/**
 * Membership and leadership faults, through the same API an operator uses:
 *  - replace (etcd robustness's MemberReplace): remove a member, wait for it to stop (a removed
 *    member exits by itself), wipe its data, add it back — as a voter, or as a learner promoted
 *    once it has caught up — and start it with `--initial-cluster-state existing`;
 *  - transfer (etcd's move-leader): ask the leader to hand leadership to another voter.
 * Every API call is retried until a deadline, and a call whose answer was lost is recognised
 * from the member list, so a replace either completes or fails the run with what is left.
 */
import { Client } from '../../src/client/index.js';
import type { ChaosCluster, ChaosMember } from './cluster.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function idOf(m: ChaosMember): bigint {
  if (m.id === undefined) throw new Error(`${m.name} has no known member id`);
  return BigInt(`0x${m.id}`);
}

/** Retries `attempt` until it returns true or `ms` pass; the last error goes into the failure. */
async function until(what: string, ms: number, attempt: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    try {
      if (await attempt()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(300);
  }
  throw new Error(`membership fault: ${what} did not succeed within ${ms / 1000} s (last error: ${last || 'none'})`);
}

/** Removes `victim`, wipes it and adds it back (as a learner, then promoted, when `asLearner`). */
export async function replaceMember(cluster: ChaosCluster, victim: ChaosMember, asLearner: boolean): Promise<void> {
  const others = () => cluster.members.filter((m) => m !== victim).map((m) => m.clientUrl);
  const client = new Client({ endpoints: others(), timeoutMs: 3000, retryRounds: 2 });
  const oldId = idOf(victim);
  const peerUrl = cluster.advertisedPeerUrl(victim);
  const listed = async () => (await client.memberList()).members;

  await until(`removing ${victim.name}`, 30_000, async () => {
    try {
      await client.memberRemove({ id: oldId });
      return true;
    } catch (err) {
      // An earlier attempt may have been applied with its answer lost.
      if ((await listed()).every((m) => m.id !== oldId)) return true;
      throw err;
    }
  });
  if (!(await cluster.exited(victim, 15_000))) {
    // It should have learned of its removal; a member cut off from the leader may not have yet.
    await cluster.signal(victim, 'SIGKILL');
  }
  cluster.wipe(victim);

  await until(`adding ${victim.name} back${asLearner ? ' as a learner' : ''}`, 30_000, async () => {
    try {
      await client.memberAdd({ peerUrls: [peerUrl], isLearner: asLearner });
      return true;
    } catch (err) {
      if ((await listed()).some((m) => m.peerUrls.includes(peerUrl))) return true;
      throw err;
    }
  });
  await startJoining(cluster, victim);
  if (!asLearner) return;
  const newId = idOf(victim);
  // A learner is promoted only once it is in sync with the leader (etcd's rule): retry.
  await until(`promoting ${victim.name}`, 60_000, async () => {
    try {
      await client.memberPromote({ id: newId });
      return true;
    } catch (err) {
      if ((await listed()).some((m) => m.id === newId && m.isLearner !== true)) return true;
      throw err;
    }
  });
}

/** Asks `leader` to transfer leadership to `target`; returns what happened (refusals are expected). */
export async function transferLeader(leader: ChaosMember, target: ChaosMember): Promise<string> {
  const client = new Client({ endpoints: [leader.clientUrl], timeoutMs: 5000, retryRounds: 1 });
  try {
    await client.moveLeader({ targetId: idOf(target) });
    return 'done';
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  }
}

/**
 * Starts a member joining the cluster. Like etcd, a joiner whose join query no peer answered in
 * time exits (a peer stopped or slowed by another fault); an operator starts it again, and so
 * does the harness, a few times, from a wiped data dir. Any other failure to start stands.
 */
async function startJoining(cluster: ChaosCluster, victim: ChaosMember): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await cluster.start(victim);
      return;
    } catch (err) {
      if (attempt >= 5 || !(victim.output ?? '').includes('cannot join the cluster')) throw err;
      cluster.wipe(victim);
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}
