/**
 * What a seed throws at the cluster. Each seed draws one profile (so some seeds are calm and
 * some are brutal, and the report can say which mix found what); rates are per simulated tick.
 */
import type { SeededRng } from '../../../src/util/rng.js';
import type { LinkFaults } from '../network.js';

export interface Features {
  crashes: boolean;
  snapshots: boolean;
  membership: boolean;
  transfers: boolean;
  reads: boolean;
}

export const ALL_FEATURES: Features = Object.freeze({ crashes: true, snapshots: true, membership: true, transfers: true, reads: true });

export interface FaultProfile {
  links: LinkFaults;
  partitionRate: number;
  healRate: number;
  crashRate: number;
  /** Per Ready: crash after persisting, before sending (messages of that Ready are lost). */
  midReadyCrashRate: number;
  restartDelay: [number, number];
  proposalRate: number;
  snapshotRate: number;
  /** Entries kept behind a snapshot when compacting: 0..keepMax. */
  keepMax: number;
  membershipRate: number;
  transferRate: number;
  readRate: number;
  /** Probability a node misses a tick (clock drift between members). */
  tickSkip: number;
  checkQuorum: boolean;
  preVote: boolean;
  maxInflightMsgs: number;
  maxSizePerMsg: number;
  /** 0 = unlimited (the core's defaults). */
  maxInflightBytes: number;
  maxUncommittedEntriesSize: number;
  /** Small values split committed entries across Readies. */
  maxCommittedSizePerReady: number;
  /** Per tick: a random node forgets its leader (etcd forgetLeader). */
  forgetLeaderRate: number;
  /**
   * Per delivered MsgApp: only a prefix of its entries arrives (possibly none), as a leader with
   * a smaller size limit or a full window would have sent it. A follower with a stale
   * conflicting tail then verifies less than its log holds (raft-pitfalls 6).
   */
  splitAppendRate: number;
  /**
   * Per new leader: isolate or crash it within 0–2 ticks, so its entries reach only a
   * minority and older-term entries pile up on some nodes (the Figure 8 situation, pitfall 1).
   */
  deposeLeaderRate: number;
  /**
   * Per Ready with committed entries: the application applies them only 1..maxApplyLag ticks
   * later (sends and persistence are not delayed), so apply lags commit while ticks, votes and
   * reads go on (thesis §4.8, pitfall 13).
   */
  slowApplyRate: number;
  maxApplyLag: number;
  /** Whether nodes merge each Ready's messages per peer (the member's setting, src/raft/coalesce.ts). */
  coalesceMessages: boolean;
  /**
   * Per delivered message: the node's Ready waits a moment, so messages arriving meanwhile are
   * stepped before one Ready, as the server's RaftLoop steps everything queued during a write.
   */
  batchStepRate: number;
}

function pick<T>(rng: SeededRng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)] as T;
}

export function drawProfile(rng: SeededRng, f: Features): FaultProfile {
  const p = drawRates(rng, f);
  p.maxSizePerMsg = pick(rng, [1 << 20, 64, 1]);
  // etcd requires maxInflightBytes >= maxSizePerMsg (0 = unlimited).
  p.maxInflightBytes = p.maxSizePerMsg <= 256 ? pick(rng, [0, 0, 256]) : 0;
  // Drawn last, so the older fields of every seed's profile are unchanged by these levers.
  p.splitAppendRate = pick(rng, [0, 0.05, 0.3]);
  p.deposeLeaderRate = pick(rng, [0, 0.3, 0.7]);
  p.slowApplyRate = pick(rng, [0, 0.2, 0.6]);
  p.maxApplyLag = pick(rng, [1, 3]);
  p.coalesceMessages = rng.next() < 0.5;
  p.batchStepRate = pick(rng, [0, 0.3, 0.8]);
  return p;
}

function drawRates(rng: SeededRng, f: Features): FaultProfile {
  return {
    links: {
      dropRate: pick(rng, [0, 0.01, 0.05, 0.2]),
      dupRate: pick(rng, [0, 0.02, 0.1]),
      reorderRate: pick(rng, [0, 0.01, 0.05, 0.3]),
      minDelay: 0.02,
      meanExtraDelay: pick(rng, [0.05, 0.3, 1.5]),
      maxDelay: pick(rng, [0.5, 3, 8]),
    },
    partitionRate: pick(rng, [0, 0.01, 0.03, 0.08]),
    healRate: pick(rng, [0.03, 0.1, 0.3]),
    crashRate: f.crashes ? pick(rng, [0, 0.005, 0.02, 0.05]) : 0,
    midReadyCrashRate: f.crashes ? pick(rng, [0, 0.0005, 0.003]) : 0,
    restartDelay: pick(rng, [[1, 5], [5, 30], [20, 80]] as [number, number][]),
    proposalRate: pick(rng, [0.1, 0.4, 1.2]),
    snapshotRate: f.snapshots ? pick(rng, [0, 0.02, 0.1, 0.3]) : 0,
    keepMax: pick(rng, [0, 3, 20]),
    membershipRate: f.membership ? pick(rng, [0, 0.01, 0.04, 0.1]) : 0,
    transferRate: f.transfers ? pick(rng, [0, 0.01, 0.05]) : 0,
    readRate: f.reads ? pick(rng, [0, 0.1, 0.5]) : 0,
    tickSkip: pick(rng, [0, 0.05, 0.2]),
    checkQuorum: rng.next() < 0.75,
    preVote: rng.next() < 0.75,
    maxInflightMsgs: pick(rng, [256, 4, 1]),
    maxSizePerMsg: 0,
    maxInflightBytes: 0,
    maxUncommittedEntriesSize: pick(rng, [0, 0, 64]),
    maxCommittedSizePerReady: pick(rng, [1 << 20, 1 << 20, 8]),
    forgetLeaderRate: pick(rng, [0, 0, 0.02]),
    splitAppendRate: 0,
    deposeLeaderRate: 0,
    slowApplyRate: 0,
    maxApplyLag: 0,
    coalesceMessages: false,
    batchStepRate: 0,
  };
}

export function describeProfile(p: FaultProfile): string {
  const l = p.links;
  return [
    `drop=${l.dropRate} dup=${l.dupRate} reorder=${l.reorderRate} delay~${l.meanExtraDelay}<=${l.maxDelay}`,
    `part=${p.partitionRate}/${p.healRate} crash=${p.crashRate}+${p.midReadyCrashRate}`,
    `prop=${p.proposalRate} snap=${p.snapshotRate}(keep<=${p.keepMax}) conf=${p.membershipRate}`,
    `transfer=${p.transferRate} read=${p.readRate} skew=${p.tickSkip}`,
    `cq=${p.checkQuorum} pv=${p.preVote} inflight=${p.maxInflightMsgs}/${p.maxInflightBytes}B size=${p.maxSizePerMsg}`,
    `uncommitted<=${p.maxUncommittedEntriesSize} applyBatch=${p.maxCommittedSizePerReady} forget=${p.forgetLeaderRate}`,
    `split=${p.splitAppendRate} depose=${p.deposeLeaderRate} slowApply=${p.slowApplyRate}(<=${p.maxApplyLag})`,
    `coalesce=${p.coalesceMessages} batchSteps=${p.batchStepRate}`,
  ].join(' ');
}
