/**
 * etcd's MoveLeader: only the leader may hand leadership over, only to a voting member; raft
 * catches the target up, sends it TimeoutNow, and the call resolves once the target leads. It
 * fails as etcd's does when the transfer takes longer than the request timeout (raft itself
 * aborts a transfer after an election timeout).
 */
import type { RawNode } from '../raft/index.js';
import type { Clock } from '../util/clock.js';
import { KvError } from '../util/errors.js';
import type { Cluster } from './membership.js';

export interface TransferSource {
  readonly id: number;
  readonly isLeader: boolean;
  readonly leaderId: number;
  readonly cluster: Cluster;
  submitToRaft(fn: (node: RawNode) => void): void;
}

export async function moveLeader(member: TransferSource, target: number, clock: Clock, timeoutMs: number, pollMs: number): Promise<void> {
  if (!member.isLeader) throw new KvError('NotLeader');
  const transferee = member.cluster.get(target);
  if (transferee === undefined || transferee.isLearner) throw new KvError('BadLeaderTransferee');
  if (target === member.id) return;
  member.submitToRaft((node) => node.transferLeader(target));
  const deadline = clock.now() + timeoutMs;
  while (member.leaderId !== target) {
    if (clock.now() >= deadline) throw new KvError('Timeout', 'etcdserver: request timed out, leader transfer took too long');
    await new Promise<void>((resolve) => clock.setTimeout(resolve, pollMs));
  }
}
