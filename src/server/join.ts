/**
 * Joining an existing cluster (etcd `--initial-cluster-state existing`). `member add` records
 * the new member (its ID, its peer URLs) in the member table through raft; the new member, which
 * cannot derive that ID (etcd salts it with the time of the add), asks any member in its
 * `--initial-cluster` over the peer port who it is. The answer carries the cluster ID, its ID
 * and the member table; the joiner persists them and starts with an empty raft log that the
 * leader fills by snapshot (etcd's joiner likewise reads the cluster from a peer's `/members`).
 */
import type { JoinAnswer, Refusal } from '../transport/handshake.js';
import { queryJoinOverTcp } from '../transport/tcp-transport.js';
import { KvError } from '../util/errors.js';
import type { MemberConfig } from './config.js';
import { Cluster, type Member as MemberRecord } from './membership.js';
import { peerTlsOptions } from './tls-settings.js';

/** Asks the member at `url` for the join answer of the member advertising `peerUrls`. */
export type JoinQueryFn = (url: string, peerUrls: readonly string[]) => Promise<JoinAnswer>;

function sameUrls(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((u, i) => u === y[i]);
}

/** The listener's answer: the member whose peer URLs are exactly `peerUrls`, if the table has it. */
export function answerJoin(cluster: Cluster, peerUrls: readonly string[]): JoinAnswer | Refusal {
  const found = cluster.list().find((m) => sameUrls(m.peerUrls, peerUrls));
  if (found === undefined) {
    return {
      reason: 'notMember',
      message: `cairn: no member with peer URLs ${peerUrls.join(',')} in this cluster; run member add first`,
    };
  }
  return { clusterId: cluster.clusterId, memberId: found.id, members: cluster.list() };
}

/** The member table a joiner starts from. */
export function clusterFromAnswer(answer: JoinAnswer): Cluster {
  const members: MemberRecord[] = answer.members.map((m) => ({ ...m, peerUrls: [...m.peerUrls], clientUrls: [...m.clientUrls] }));
  if (!members.some((m) => m.id === answer.memberId)) throw new KvError('InvalidArgument', 'cairn: the join answer does not list the joining member');
  return new Cluster(answer.clusterId, members);
}

/**
 * Asks each URL of `--initial-cluster` other than our own, in order, until one answers. A
 * refusal (not added yet) is preferred over a connection error when reporting failure.
 */
export async function discoverCluster(config: MemberConfig, query: JoinQueryFn): Promise<JoinAnswer> {
  const own = new Set(config.initialAdvertisePeerUrls);
  const targets = [...config.initialCluster.values()].flat().filter((u) => !own.has(u));
  if (targets.length === 0) {
    throw new KvError('InvalidArgument', `--initial-cluster names no existing member to join (--initial-cluster-state existing)`);
  }
  let refusal: KvError | undefined;
  let unreachable: KvError | undefined;
  for (const url of targets) {
    try {
      return await query(url, config.initialAdvertisePeerUrls);
    } catch (err) {
      const e = err instanceof KvError ? err : new KvError('TimeoutDueToConnectionLost', String(err));
      if (e.code === 'TimeoutDueToConnectionLost') unreachable ??= e;
      else refusal ??= e;
    }
  }
  const cause = refusal ?? unreachable;
  throw new KvError(cause?.code ?? 'TimeoutDueToConnectionLost', `cairn: cannot join the cluster at ${targets.join(',')}: ${cause?.message ?? 'no answer'}`);
}

/** The default join query: over TCP (TLS for https peer URLs, with the member's peer certificates). */
export function tcpJoinQuery(config: MemberConfig): JoinQueryFn {
  return (url, peerUrls) => queryJoinOverTcp(url, peerUrls, url.startsWith('https:') ? peerTlsOptions(config) : undefined);
}
