/**
 * Configuration of one raft node (etcd-io/raft `Config`), with etcd's defaults except that
 * CheckQuorum and PreVote are on unless turned off.
 */
import { KvError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { ReadOnlyOption } from './read-only.js';
import type { Storage } from './storage.js';
import { NONE, type NodeId } from './types.js';

export interface RaftConfig {
  id: NodeId;
  /** Ticks without hearing from a leader before campaigning; randomized in [electionTick, 2*electionTick). */
  electionTick: number;
  /** Ticks between leader heartbeats; must be < electionTick. */
  heartbeatTick: number;
  storage: Storage;
  /** The only source of randomness (election timeouts). */
  rng: Rng;
  /** Last applied index on restart. */
  applied?: number;
  /** Bytes of entries per MsgApp (default 1 MiB). */
  maxSizePerMsg?: number;
  /** Bytes of committed entries per Ready (default 0 = unlimited). */
  maxCommittedSizePerReady?: number;
  /** The leader drops proposals beyond this many uncommitted payload bytes (0 = unlimited). */
  maxUncommittedEntriesSize?: number;
  /** MsgApp messages in flight per follower in the replicate state (default 256). */
  maxInflightMsgs?: number;
  /** Bytes in flight per follower (0 = unlimited). */
  maxInflightBytes?: number;
  checkQuorum?: boolean;
  preVote?: boolean;
  readOnlyOption?: ReadOnlyOption;
  disableProposalForwarding?: boolean;
  stepDownOnRemoval?: boolean;
  /**
   * Merge each Ready's messages to one peer where one says what several do (coalesce.ts):
   * consecutive MsgApps that continue each other, acks superseded by a later ack. Off by default,
   * so a Ready holds exactly what etcd-io/raft would send.
   */
  coalesceMessages?: boolean;
}

export interface ResolvedConfig {
  readonly id: NodeId;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly storage: Storage;
  readonly rng: Rng;
  readonly applied: number;
  readonly maxSizePerMsg: number;
  readonly maxCommittedSizePerReady: number;
  readonly maxUncommittedEntriesSize: number;
  readonly maxInflightMsgs: number;
  readonly maxInflightBytes: number;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly readOnlyOption: ReadOnlyOption;
  readonly disableProposalForwarding: boolean;
  readonly stepDownOnRemoval: boolean;
  readonly coalesceMessages: boolean;
}

export const DEFAULT_MAX_SIZE_PER_MSG = 1024 * 1024;
export const DEFAULT_MAX_INFLIGHT_MSGS = 256;

function invalid(why: string): KvError {
  return new KvError('InvalidArgument', `raft: invalid config: ${why}`);
}

const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/** Validates a config and fills in defaults (etcd `Config.validate`). */
export function resolveConfig(c: RaftConfig): ResolvedConfig {
  if (c.id === NONE || !isCount(c.id)) throw invalid('cannot use none as id');
  if (!isCount(c.heartbeatTick) || c.heartbeatTick <= 0) throw invalid('heartbeat tick must be greater than 0');
  if (!isCount(c.electionTick) || c.electionTick <= c.heartbeatTick) {
    throw invalid('election tick must be greater than heartbeat tick');
  }
  const maxSizePerMsg = c.maxSizePerMsg ?? DEFAULT_MAX_SIZE_PER_MSG;
  const maxInflightMsgs = c.maxInflightMsgs ?? DEFAULT_MAX_INFLIGHT_MSGS;
  const maxInflightBytes = c.maxInflightBytes ?? 0;
  if (!isCount(maxSizePerMsg)) throw invalid('maxSizePerMsg');
  if (!isCount(maxInflightMsgs) || maxInflightMsgs <= 0) throw invalid('max inflight messages must be greater than 0');
  if (!isCount(maxInflightBytes)) throw invalid('maxInflightBytes');
  if (maxInflightBytes > 0 && maxInflightBytes < maxSizePerMsg) {
    throw invalid('max inflight bytes must be >= max message size');
  }
  const readOnlyOption = c.readOnlyOption ?? 'safe';
  const checkQuorum = c.checkQuorum ?? true;
  if (readOnlyOption === 'leaseBased' && !checkQuorum) {
    throw invalid('CheckQuorum must be enabled when ReadOnlyOption is leaseBased');
  }
  const maxCommitted = c.maxCommittedSizePerReady ?? 0;
  const maxUncommitted = c.maxUncommittedEntriesSize ?? 0;
  if (!isCount(maxCommitted) || !isCount(maxUncommitted) || !isCount(c.applied ?? 0)) {
    throw invalid('sizes and indexes must be non-negative integers');
  }
  return {
    id: c.id,
    electionTick: c.electionTick,
    heartbeatTick: c.heartbeatTick,
    storage: c.storage,
    rng: c.rng,
    applied: c.applied ?? 0,
    maxSizePerMsg,
    // etcd defaults 0 to maxSizePerMsg; here 0 means unlimited (at least one entry is always handed out).
    maxCommittedSizePerReady: maxCommitted === 0 ? Infinity : maxCommitted,
    maxUncommittedEntriesSize: maxUncommitted === 0 ? Infinity : maxUncommitted,
    maxInflightMsgs,
    maxInflightBytes,
    checkQuorum,
    preVote: c.preVote ?? true,
    readOnlyOption,
    disableProposalForwarding: c.disableProposalForwarding ?? false,
    stepDownOnRemoval: c.stepDownOnRemoval ?? true,
    coalesceMessages: c.coalesceMessages ?? false,
  };
}
