/**
 * The connection handshake (etcd's rafthttp checks X-Etcd-Cluster-ID and the target member on
 * every stream): a listener refuses a dialer from another cluster, one that meant to reach a
 * different member, one it does not know (removed, or not yet added), or one speaking another
 * protocol version, with a refusal the dialer reports as its `lastError`.
 */
import type { NodeId } from '../raft/types.js';
import { KvError } from '../util/errors.js';
import { PROTOCOL_VERSION, type Frame, type JoinMember, type RefuseReason } from './frames.js';
import type { TransportHandler } from './transport.js';

export interface LocalIdentity {
  readonly id: NodeId;
  readonly clusterId: string;
}

export type Hello = Extract<Frame, { k: 'hello' }>;
export type Refusal = { readonly reason: RefuseReason; readonly message: string };
export type JoinQuery = Extract<Frame, { k: 'join' }>;
export type JoinAnswer = Omit<Extract<Frame, { k: 'joinInfo' }>, 'k'>;
export type { JoinMember };

/**
 * What the member tells the transport about its member table beyond "is this a peer": the
 * answer to a joiner, which IDs were removed (refused with `memberRemoved`, so a removed member
 * learns it, as etcd answers it 410 Gone), and the news that this member itself was removed.
 */
export interface MembershipHooks {
  answerJoin(peerUrls: readonly string[]): JoinAnswer | Refusal;
  isRemoved(id: NodeId): boolean;
  onRemoved(message: string): void;
}

/** The handler a transport is given; the membership hooks are optional (transport tests omit them). */
export type PeerHandler = TransportHandler & Partial<MembershipHooks>;

export const REMOVED_MESSAGE = 'etcdserver: the member has been permanently removed from the cluster';

export function joinFrame(peerUrls: readonly string[]): JoinQuery {
  return { k: 'join', version: PROTOCOL_VERSION, peerUrls: [...peerUrls] };
}

/** The listener's side of a join query. */
export function answerJoinQuery(query: JoinQuery, self: LocalIdentity, handler: PeerHandler, stopped: boolean): Frame {
  let answer: JoinAnswer | Refusal;
  if (stopped) answer = { reason: 'stopped', message: `cairn: member ${self.id} is stopped` };
  else if (query.version !== PROTOCOL_VERSION) {
    answer = { reason: 'versionMismatch', message: `cairn: member ${self.id} speaks peer protocol ${PROTOCOL_VERSION}, the joiner speaks ${query.version}` };
  } else if (handler.answerJoin === undefined) answer = { reason: 'notMember', message: `cairn: member ${self.id} does not answer join queries` };
  else answer = handler.answerJoin(query.peerUrls);
  return 'reason' in answer ? { k: 'refuse', reason: answer.reason, message: answer.message } : { k: 'joinInfo', ...answer };
}

export function helloFrame(self: LocalIdentity, to: NodeId, stream: Hello['stream']): Hello {
  return { k: 'hello', version: PROTOCOL_VERSION, clusterId: self.clusterId, from: self.id, to, stream };
}

/** Returns why `hello` must be refused, or undefined to accept it. */
export function checkHello(hello: Hello, self: LocalIdentity, isKnownPeer: (id: NodeId) => boolean, isRemoved?: (id: NodeId) => boolean): Refusal | undefined {
  if (hello.version !== PROTOCOL_VERSION) {
    return {
      reason: 'versionMismatch',
      message: `cairn: member ${self.id} speaks peer protocol ${PROTOCOL_VERSION}, peer ${hello.from} speaks ${hello.version}`,
    };
  }
  if (hello.clusterId !== self.clusterId) {
    return {
      reason: 'clusterIdMismatch',
      message:
        `etcdserver: cluster ID mismatch: member ${self.id} belongs to cluster ${JSON.stringify(self.clusterId)}, ` +
        `peer ${hello.from} belongs to cluster ${JSON.stringify(hello.clusterId)}`,
    };
  }
  if (hello.to !== self.id) {
    return { reason: 'wrongTarget', message: `cairn: peer ${hello.from} dialed member ${hello.to}, but this is member ${self.id}` };
  }
  if (!isKnownPeer(hello.from) && isRemoved?.(hello.from) === true) {
    return { reason: 'memberRemoved', message: `${REMOVED_MESSAGE} (member ${hello.from}, refused by member ${self.id})` };
  }
  if (!isKnownPeer(hello.from)) {
    return { reason: 'unknownPeer', message: `cairn: member ${self.id} does not know peer ${hello.from} (removed, or not added yet)` };
  }
  return undefined;
}

/** The error a refused dialer records; a cluster mismatch keeps etcd's error code. */
export function refusalError(refusal: Refusal): KvError {
  const code = refusal.reason === 'clusterIdMismatch' ? 'ClusterIdMismatch' : refusal.reason === 'memberRemoved' ? 'Stopped' : 'InvalidArgument';
  return new KvError(code, refusal.message);
}
