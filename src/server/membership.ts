/**
 * The cluster's member table (etcd `membership.RaftCluster`): who is in the cluster, their
 * URLs, learners, and every removed ID (never reused, and refused if it talks to us again).
 * IDs are derived as etcd derives them — a SHA-1 over the peer URLs and the cluster token — cut
 * to 53 bits so they are exact JavaScript numbers.
 */
import { createHash } from 'node:crypto';
import { Packr } from 'msgpackr';
import type { BackendOp } from '../storage/backend.js';
import type { Backend } from '../storage/backend.js';
import { KvError } from '../util/errors.js';

export interface Member {
  readonly id: number;
  readonly name: string;
  readonly peerUrls: readonly string[];
  /** Empty until the member has started and published them (etcd's attributes). */
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

const packr = new Packr({ useRecords: false });

function hash53(parts: readonly string[]): number {
  const digest = createHash('sha1').update(parts.join('')).digest();
  // Top 53 bits of the first 8 bytes; never 0 (0 means "none" to raft).
  const id = Number(digest.readBigUInt64BE(0) >> 11n);
  return id === 0 ? 1 : id;
}

/** etcd's NewMember: sorted peer URLs + cluster token, plus a time salt for runtime additions. */
export function computeMemberId(peerUrls: readonly string[], clusterToken: string, salt?: number): number {
  const parts = [...peerUrls].sort();
  parts.push(clusterToken);
  if (salt !== undefined) parts.push(String(salt));
  return hash53(parts);
}

export function computeClusterId(memberIds: readonly number[]): number {
  return hash53([...memberIds].sort((a, b) => a - b).map((id) => id.toString(16).padStart(14, '0')));
}

export function formatId(id: number): string {
  return id.toString(16);
}

export function encodeMember(m: Member): Uint8Array {
  return packr.pack(m);
}

export function decodeMember(data: Uint8Array): Member {
  const m = packr.unpack(data) as Partial<Member> | null;
  if (
    m === null ||
    typeof m !== 'object' ||
    typeof m.id !== 'number' ||
    typeof m.name !== 'string' ||
    !Array.isArray(m.peerUrls) ||
    !Array.isArray(m.clientUrls) ||
    typeof m.isLearner !== 'boolean'
  ) {
    throw new KvError('StorageCorrupt', 'cairn: member record is malformed');
  }
  return m as Member;
}

function memberKey(id: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = 0x6d; // 'm': a member; 'r' marks a removed ID
  new DataView(key.buffer).setBigUint64(1, BigInt(id));
  return key;
}

function removedKey(id: number): Uint8Array {
  const key = memberKey(id);
  key[0] = 0x72;
  return key;
}

const CLUSTER_ID_KEY = new TextEncoder().encode('cluster-id');

/** Maximum learners at once, as etcd (`too many learner members in cluster`). */
export const MAX_LEARNERS = 1;

export class Cluster {
  private readonly members = new Map<number, Member>();
  private readonly removed = new Set<number>();

  constructor(readonly clusterId: number, members: readonly Member[] = [], removed: readonly number[] = []) {
    for (const m of members) this.members.set(m.id, m);
    for (const id of removed) this.removed.add(id);
  }

  /** The initial cluster of `--initial-cluster-state new`: IDs from URLs and token. */
  static bootstrap(initial: ReadonlyMap<string, readonly string[]>, token: string): Cluster {
    const members = [...initial].map(([name, urls]) => ({
      id: computeMemberId(urls, token),
      name,
      peerUrls: [...urls],
      clientUrls: [],
      isLearner: false,
    }));
    const ids = new Set(members.map((m) => m.id));
    if (ids.size !== members.length) throw new KvError('InvalidArgument', '--initial-cluster names the same peer URLs twice');
    return new Cluster(computeClusterId([...ids]), members);
  }

  static async load(backend: Backend): Promise<Cluster | undefined> {
    const rawId = await backend.get('members', CLUSTER_ID_KEY);
    if (rawId === undefined) return undefined;
    const members: Member[] = [];
    const removed: number[] = [];
    for await (const [key, value] of backend.iterate('members')) {
      if (key.length !== 9) continue;
      const id = Number(new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(1));
      if (key[0] === 0x6d) members.push(decodeMember(value));
      else if (key[0] === 0x72) removed.push(id);
    }
    const clusterId = Number(new DataView(rawId.buffer, rawId.byteOffset, rawId.byteLength).getBigUint64(0));
    return new Cluster(clusterId, members, removed);
  }

  /** Every record, for the first backend write of a new member. */
  allOps(): BackendOp[] {
    const id = new Uint8Array(8);
    new DataView(id.buffer).setBigUint64(0, BigInt(this.clusterId));
    const ops: BackendOp[] = [{ type: 'put', bucket: 'members', key: CLUSTER_ID_KEY, value: id }];
    for (const m of this.members.values()) ops.push(this.putOp(m));
    for (const r of this.removed) ops.push({ type: 'put', bucket: 'members', key: removedKey(r), value: new Uint8Array(0) });
    return ops;
  }

  list(): Member[] {
    return [...this.members.values()].sort((a, b) => a.id - b.id);
  }

  get(id: number): Member | undefined {
    return this.members.get(id);
  }

  isRemoved(id: number): boolean {
    return this.removed.has(id);
  }

  voterIds(): number[] {
    return this.list().filter((m) => !m.isLearner).map((m) => m.id);
  }

  learnerIds(): number[] {
    return this.list().filter((m) => m.isLearner).map((m) => m.id);
  }

  /** Checks an addition before it is proposed (etcd `ValidateConfigurationChange`). */
  validateAdd(m: Member): void {
    if (this.members.has(m.id) || this.removed.has(m.id)) throw new KvError('MemberExists');
    const urls = new Set(this.list().flatMap((x) => x.peerUrls));
    if (m.peerUrls.some((u) => urls.has(u))) throw new KvError('PeerURLExists');
    if (m.isLearner && this.learnerIds().length >= MAX_LEARNERS) throw new KvError('TooManyLearners');
  }

  validateRemove(id: number): void {
    if (this.removed.has(id) || !this.members.has(id)) throw new KvError('MemberNotFound');
  }

  validatePromote(id: number): void {
    const m = this.members.get(id);
    if (m === undefined) throw new KvError('MemberNotFound');
    if (!m.isLearner) throw new KvError('MemberNotLearner');
  }

  validateUpdate(id: number, peerUrls: readonly string[]): void {
    if (!this.members.has(id)) throw new KvError('MemberNotFound');
    const others = new Set(this.list().filter((x) => x.id !== id).flatMap((x) => x.peerUrls));
    if (peerUrls.some((u) => others.has(u))) throw new KvError('PeerURLExists');
  }

  /** Takes over another table's contents (after a snapshot restored the backend it came from). */
  replaceWith(other: Cluster): void {
    this.members.clear();
    this.removed.clear();
    for (const m of other.list()) this.members.set(m.id, m);
    for (const id of other.removed) this.removed.add(id);
  }

  /** Applies an add (or re-add after promote/update); returns the backend ops to write with it. */
  add(m: Member): BackendOp[] {
    this.members.set(m.id, m);
    return [this.putOp(m)];
  }

  remove(id: number): BackendOp[] {
    this.members.delete(id);
    this.removed.add(id);
    return [
      { type: 'del', bucket: 'members', key: memberKey(id) },
      { type: 'put', bucket: 'members', key: removedKey(id), value: new Uint8Array(0) },
    ];
  }

  /** Replaces a member's record (URLs, attributes, learner flag); unknown IDs are ignored. */
  update(id: number, change: Partial<Omit<Member, 'id'>>): BackendOp[] {
    const m = this.members.get(id);
    if (m === undefined) return [];
    return this.add({ ...m, ...change });
  }

  private putOp(m: Member): BackendOp {
    return { type: 'put', bucket: 'members', key: memberKey(m.id), value: encodeMember(m) };
  }
}

export interface MembershipChange {
  readonly kind: 'added' | 'removed' | 'promoted';
  readonly member: Member;
}

/** What changed between two views of the member table (for one log line per change). */
export function membershipDiff(before: ReadonlyMap<number, Member>, after: ReadonlyMap<number, Member>): MembershipChange[] {
  const changes: MembershipChange[] = [];
  for (const [id, m] of after) {
    const old = before.get(id);
    if (old === undefined) changes.push({ kind: 'added', member: m });
    else if (old.isLearner && !m.isLearner) changes.push({ kind: 'promoted', member: m });
  }
  for (const [id, m] of before) if (!after.has(id)) changes.push({ kind: 'removed', member: m });
  return changes;
}
