/**
 * Runtime membership changes (etcd `EtcdServer.AddMember/RemoveMember/UpdateMember/
 * PromoteMember`): validated against the member table, proposed as raft conf changes, and
 * answered with the member list once applied. A member added here starts with
 * `--initial-cluster-state existing` and learns its ID from a peer (join.ts).
 */
import type { ConfChangeV2 } from '../raft/types.js';
import { KvError } from '../util/errors.js';
import { memberUrlProblem } from '../util/member-url.js';
import { encodeConfChangeContext } from './apply.js';
import type { Member } from './member.js';
import { computeMemberId, type Cluster, type Member as MemberRecord } from './membership.js';

/** etcd promotes a learner only once its match index is within 10% of the leader's (readyPercent). */
const LEARNER_READY_PERCENT = 0.9;

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

/** etcd answers a bad URL with ErrGRPCMemberBadURLs, without saying which; the rule is the flags' own. */
function validatePeerUrls(peerUrls: readonly string[]): void {
  if (peerUrls.length === 0 || peerUrls.some((url) => memberUrlProblem(url) !== undefined)) throw new KvError('InvalidPeerURLs');
}

/**
 * etcd's strict reconfiguration checks before adding a voter, which raises the quorum:
 * `IsReadyToAddVotingMember` (enough started — published — voters to form the new quorum; a
 * one-member cluster may always grow to two, for restoring from a backup) and
 * `isConnectedFullySince` (this member is connected to every voter), else the cluster could be
 * left without a working quorum until the new member is up.
 */
export function isReadyToAddVotingMember(cluster: Cluster): boolean {
  const voters = cluster.list().filter((m) => !m.isLearner);
  const started = voters.filter((m) => m.name !== '').length;
  const newSize = voters.length + 1;
  return (started === 1 && newSize === 2) || started >= Math.floor(newSize / 2) + 1;
}

function checkReadyToAddVoter(member: Member): void {
  if (!isReadyToAddVotingMember(member.cluster)) throw new KvError('NotEnoughStartedMembers');
  const voters = member.cluster.list().filter((m) => !m.isLearner);
  const active = member.activePeerIds();
  if (voters.some((m) => m.id !== member.id && !active.has(m.id))) throw new KvError('UnhealthyCluster');
}

export interface AddedMember {
  readonly member: MemberRecord;
  readonly members: MemberRecord[];
}

export async function addMember(member: Member, peerUrls: readonly string[], isLearner: boolean): Promise<AddedMember> {
  validatePeerUrls(peerUrls);
  // etcd salts a runtime addition's ID with the time, so a URL removed and added again gets a new ID.
  const record: MemberRecord = {
    id: computeMemberId(peerUrls, member.config.initialClusterToken, Date.now()),
    name: '',
    peerUrls: [...peerUrls],
    clientUrls: [],
    isLearner,
  };
  member.cluster.validateAdd(record);
  if (!isLearner) checkReadyToAddVoter(member);
  const requestId = member.nextRequestId();
  const cc: ConfChangeV2 = {
    transition: 'auto',
    changes: [{ type: isLearner ? 'addLearnerNode' : 'addNode', nodeId: record.id }],
    context: encodeConfChangeContext({ requestId, member: record }),
  };
  const members = (await member.proposeConfChange(requestId, cc)) as MemberRecord[];
  return { member: members.find((m) => m.id === record.id) ?? record, members };
}

/** etcd's `isLearnerReady`: the learner's match index is at least 90% of the leader's. */
function checkLearnerReady(member: Member, id: number): void {
  const progress = member.raftProgress();
  if (progress === undefined) throw new KvError('NotLeader');
  const leaderMatch = progress.get(member.id)?.match ?? 0;
  const learnerMatch = progress.get(id)?.match;
  if (learnerMatch === undefined || learnerMatch < leaderMatch * LEARNER_READY_PERCENT) throw new KvError('LearnerNotReady');
}

/** Promotes a learner to a voter; only the leader knows whether it is caught up (etcd forwards to it). */
export async function promoteMember(member: Member, id: number): Promise<MemberRecord[]> {
  member.cluster.validatePromote(id);
  checkLearnerReady(member, id);
  const requestId = member.nextRequestId();
  const cc: ConfChangeV2 = {
    transition: 'auto',
    changes: [{ type: 'addNode', nodeId: id }],
    context: encodeConfChangeContext({ requestId }),
  };
  return (await member.proposeConfChange(requestId, cc)) as MemberRecord[];
}

export async function updateMember(member: Member, id: number, peerUrls: readonly string[]): Promise<MemberRecord[]> {
  validatePeerUrls(peerUrls);
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
