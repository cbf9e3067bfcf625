/**
 * The connection handshake (etcd's rafthttp checks X-Etcd-Cluster-ID and the target member on
 * every stream): a listener refuses a dialer from another cluster, one that meant to reach a
 * different member, one it does not know (removed, or not yet added), or one speaking another
 * protocol version, with a refusal the dialer reports as its `lastError`.
 */
import type { NodeId } from '../raft/types.js';
import { KvError } from '../util/errors.js';
import { PROTOCOL_VERSION, type Frame, type RefuseReason } from './frames.js';

export interface LocalIdentity {
  readonly id: NodeId;
  readonly clusterId: string;
}

export type Hello = Extract<Frame, { k: 'hello' }>;
export type Refusal = { readonly reason: RefuseReason; readonly message: string };

export function helloFrame(self: LocalIdentity, to: NodeId, stream: Hello['stream']): Hello {
  return { k: 'hello', version: PROTOCOL_VERSION, clusterId: self.clusterId, from: self.id, to, stream };
}

/** Returns why `hello` must be refused, or undefined to accept it. */
export function checkHello(hello: Hello, self: LocalIdentity, isKnownPeer: (id: NodeId) => boolean): Refusal | undefined {
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
  if (!isKnownPeer(hello.from)) {
    return { reason: 'unknownPeer', message: `cairn: member ${self.id} does not know peer ${hello.from} (removed, or not added yet)` };
  }
  return undefined;
}

/** The error a refused dialer records; a cluster mismatch keeps etcd's error code. */
export function refusalError(refusal: Refusal): KvError {
  return new KvError(refusal.reason === 'clusterIdMismatch' ? 'ClusterIdMismatch' : 'InvalidArgument', refusal.message);
}
