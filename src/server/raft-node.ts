/**
 * The raft node a member runs, with etcd's settings: one tick per heartbeat interval, an election
 * timeout of at least two ticks, CheckQuorum and PreVote on, bounded messages and inflight
 * appends; it resumes from the recovered log and snapshot.
 */
import { RawNode, type Storage } from '../raft/index.js';
import type { Rng } from '../util/rng.js';
import type { MemberConfig } from './config.js';

export function newRaftNode(config: MemberConfig, recovered: { readonly selfId: number; readonly storage: Storage; readonly snapshot: { readonly index: number } }, rng: Rng): RawNode {
  return new RawNode({
    id: recovered.selfId,
    electionTick: Math.max(2, Math.round(config.electionTimeoutMs / config.heartbeatIntervalMs)),
    heartbeatTick: 1,
    storage: recovered.storage,
    rng,
    applied: recovered.snapshot.index,
    maxSizePerMsg: 1024 * 1024,
    maxInflightMsgs: 256,
    maxUncommittedEntriesSize: 1 << 30,
    checkQuorum: true,
    preVote: true,
    // One MsgApp per peer per Ready instead of one per proposal, and one ack instead of one per
    // MsgApp: the per-message encode/decode/step was a large share of each put's CPU.
    coalesceMessages: true,
  });
}
