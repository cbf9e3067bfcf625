/**
 * The JSON of `/ui/api/cluster`, shared by the member (cluster-view.ts) and the page
 * (web/pages/cluster.ts). Type-only and import-free, so the browser bundle gets nothing from it.
 */
export interface MemberStatusView {
  readonly dbSize: string;
  readonly leader: string;
  readonly raftIndex: string;
  readonly raftTerm: string;
  readonly raftAppliedIndex: string;
  readonly version: string;
  readonly errors: readonly string[];
}

export interface MemberView {
  /** Decimal, as a string: the page never does arithmetic on IDs. */
  readonly id: string;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
  /** This member serves the page. */
  readonly self: boolean;
  readonly status?: MemberStatusView;
  /** Why the status is missing: unreachable, timed out, or the member's own error. */
  readonly error?: string;
}

export interface ClusterView {
  readonly clusterId: string;
  readonly self: string;
  readonly members: readonly MemberView[];
  readonly alarms: ReadonlyArray<{ readonly memberId: string; readonly alarm: string }>;
}
