/**
 * etcd's publish: a started member records its name and client URLs in the member table through
 * raft, so other members can forward to it and clients can find it; retried until it lands.
 */
import type { Clock } from '../util/clock.js';
import type { MemberConfig } from './config.js';
import type { Cluster } from './membership.js';
import type { InternalRequest } from './requests.js';

export interface Publisher {
  readonly id: number;
  readonly config: MemberConfig;
  readonly cluster: Cluster;
  propose(request: InternalRequest): Promise<unknown>;
}

export async function publishSelf(member: Publisher, clock: Clock, done: () => boolean): Promise<void> {
  const { name, advertiseClientUrls, electionTimeoutMs } = member.config;
  const clientUrls = [...advertiseClientUrls];
  while (!done()) {
    const mine = member.cluster.get(member.id);
    if (mine !== undefined && mine.name === name && mine.clientUrls.join(',') === clientUrls.join(',')) return;
    try {
      await member.propose({ op: 'publish', memberId: member.id, name, clientUrls });
      return;
    } catch {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, electionTimeoutMs));
    }
  }
}
