/** A snapshot of a node's state for observers (etcd-io/raft `status.go`). */
import type { ProgressState } from './progress.js';
import type { ConfState, HardState, NodeId, SoftState } from './types.js';

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly pendingSnapshot: number;
  readonly recentActive: boolean;
  readonly paused: boolean;
  readonly inflight: number;
  readonly isLearner: boolean;
}

export interface Status {
  readonly id: NodeId;
  readonly hardState: HardState;
  readonly softState: SoftState;
  readonly applied: number;
  readonly config: ConfState;
  /** Only on the leader. */
  readonly progress?: ReadonlyMap<NodeId, ProgressStatus>;
  readonly leadTransferee: NodeId;
}
