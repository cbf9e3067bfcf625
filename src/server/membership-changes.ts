/**
 * Runtime membership changes a running cluster can make without a new member joining
 * (etcd `EtcdServer.RemoveMember/UpdateMember`): validated against the member table, proposed
 * as raft conf changes, and answered with the member list once applied. Adding members waits
 * for the join protocol.
 */
import type { ConfChangeV2 } from '../raft/types.js';
import { KvError } from '../util/errors.js';
import { encodeConfChangeContext } from './apply.js';
import type { Member } from './member.js';
import type { Member as MemberRecord } from './membership.js';

export async function removeMember(member: Member, id: number): Promise<MemberRecord[]> {
  member.cluster.validateRemove(id);
  const voters = member.cluster.voterIds();
  if (voters.length === 1 && voters[0] === id) {
    throw new KvError('UnhealthyCluster', 'etcdserver: unhealthy cluster (cannot remove the only voting member)');
  }
  const requestId = member.nextRequestId();
  const cc: ConfChangeV2 = {
    transition: 'auto',
    changes: [{ type: 'removeNode', nodeId: id }],
    context: encodeConfChangeContext({ requestId }),
  };
  return (await member.proposeConfChange(requestId, cc)) as MemberRecord[];
}

export async function updateMember(member: Member, id: number, peerUrls: readonly string[]): Promise<MemberRecord[]> {
  for (const url of peerUrls) {
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new KvError('InvalidPeerURLs');
    }
  }
  member.cluster.validateUpdate(id, peerUrls);
  const existing = member.cluster.get(id) as MemberRecord;
  const requestId = member.nextRequestId();
  const cc: ConfChangeV2 = {
    transition: 'auto',
    changes: [{ type: 'updateNode', nodeId: id }],
    context: encodeConfChangeContext({ requestId, member: { ...existing, peerUrls: [...peerUrls] } }),
  };
  return (await member.proposeConfChange(requestId, cc)) as MemberRecord[];
}
