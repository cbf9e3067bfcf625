/** What starting a member takes, and what its status reports. */
import type { DataDir, InstallStep } from '../storage/data-dir.js';
import type { Transport, TransportHandler } from '../transport/transport.js';
import type { Clock } from '../util/clock.js';
import type { Rng } from '../util/rng.js';
import type { MemberConfig } from './config.js';
import type { JoinQueryFn } from './join.js';
import type { Logger } from './logger.js';
import type { MemberMetrics } from './metrics.js';

export interface MemberOptions {
  readonly config: MemberConfig;
  readonly dataDir: DataDir;
  /** Builds the transport once the member knows its own and its cluster's IDs. */
  readonly transport: (handler: TransportHandler, ids: { memberId: number; clusterId: number }) => Transport;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger?: Logger;
  readonly metrics?: MemberMetrics;
  /** How a member with no data and `--initial-cluster-state existing` asks a peer who it is (default: over TCP). */
  readonly joinQuery?: JoinQueryFn;
  /** TEST ONLY: runs at each step of a snapshot install (tests crash the disk there). */
  readonly onInstallStep?: (step: InstallStep) => Promise<void>;
}

export interface MemberStatus {
  readonly memberId: number;
  readonly clusterId: number;
  readonly leader: number;
  readonly raftTerm: number;
  readonly raftIndex: number;
  readonly raftAppliedIndex: number;
  readonly isLearner: boolean;
  readonly dbSize: number;
  readonly errors: string[];
}
