/** Shared helpers for tests written against etcd-gateway.md §3's examples. */
import type { KeyValue, ResponseHeader } from '../../src/api/kv.js';

/** Keys and values of the reference: foo=Zm9v, bar=YmFy, a/=YS8=, a0=YTA=. */
export const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
export const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/**
 * The reference's H(r); IDs are bigints (test/api/ids-64bit.test.ts checks etcd's 64-bit ones;
 * cairn generates IDs below 2^53).
 */
export const CLUSTER = 8_119_415_600_579_143n;
export const MEMBER = 1_731_595_256_941_151n;
export const header = (revision: number): ResponseHeader => ({ clusterId: CLUSTER, memberId: MEMBER, revision, raftTerm: 2 });
export const H = (revision: number): string =>
  `{"cluster_id":"${CLUSTER}","member_id":"${MEMBER}","revision":"${revision}","raft_term":"2"}`;
export const clusterH = `{"cluster_id":"${CLUSTER}","member_id":"${MEMBER}","raft_term":"2"}`;

export function kv(key: string, create: number, mod: number, version: number, value: string, lease = 0n): KeyValue {
  return { key: bytes(key), createRevision: create, modRevision: mod, version, value: bytes(value), lease };
}
