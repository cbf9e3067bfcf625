/**
 * What a member tells its operator: the log lines of rare events (--force-new-cluster, membership
 * changes, a storage failure, a slow fsync) and the gauges etcd's dashboards read, refreshed
 * periodically. Apart from member.ts, which keeps the wiring and the request paths.
 */
import type { RawNode } from '../raft/index.js';
import { describeStorageFailure, storageFailure } from '../storage/storage-errors.js';
import type { Backend } from '../storage/backend.js';
import type { KvStore } from '../store/kv-store.js';
import type { WatchHub } from '../store/watch-hub.js';
import type { Transport } from '../transport/transport.js';
import type { ForcedNewCluster } from './force-new-cluster.js';
import type { Logger } from './logger.js';
import { membershipDiff, type Cluster, type Member as MemberRecord } from './membership.js';
import type { MemberMetrics } from './metrics.js';
import type { PeerMetrics } from './peers.js';
import type { Clock } from '../util/clock.js';
import type { InternalRequest } from './requests.js';
import { HeartbeatWatch } from './heartbeat-watch.js';
import type { SnapshotSaveTiming } from './snapshot-policy.js';

/** etcd logs what --force-new-cluster did: an operator must know which members were dropped. */
export function logForcedNewCluster(log: Logger, memberId: number, clusterId: number, f: ForcedNewCluster): void {
  const removed = f.removed.map((id) => id.toString(16));
  if (f.appended === 0) {
    log.warn({ member: memberId.toString(16) }, '--force-new-cluster: this member is already the only one; nothing to change');
    return;
  }
  log.warn(
    { member: memberId.toString(16), cluster: clusterId.toString(16), removed, discardedUncommittedEntries: f.discarded, commitIndex: f.commit },
    `--force-new-cluster: starting a one-member cluster from this member's data; removed ${removed.length} member(s) [${removed.join(', ')}]; discarded ${f.discarded} uncommitted entries`,
  );
}

/** One log line per member added, removed or promoted, from the applied member table. */
export class MembershipLog {
  private known: Map<number, MemberRecord>;

  constructor(
    private readonly log: Logger,
    initial: Cluster,
  ) {
    this.known = new Map(initial.list().map((m) => [m.id, m]));
  }

  changed(cluster: Cluster): void {
    const now = new Map(cluster.list().map((m) => [m.id, m]));
    for (const c of membershipDiff(this.known, now)) this.log.info({ member: c.member.id.toString(16), peerUrls: c.member.peerUrls }, `member ${c.kind}`);
    this.known = now;
  }
}

/** The errno and path of a storage failure, as the operator needs them to act. */
export function logStorageFailure(log: Logger, memberId: number, err: unknown): void {
  const failure = storageFailure(err);
  log.error(
    { member: memberId.toString(16), errno: failure.errno, path: failure.path, err: String(err) },
    `storage failure: member stops serving: ${describeStorageFailure(err)}`,
  );
}

/** etcd's warnOfExpensiveRequest on apply: counted in etcd_server_slow_apply_total and logged. */
export function slowApplyReport(metrics: MemberMetrics, log: Logger, clock: Clock) {
  return {
    clock,
    onSlow: (op: InternalRequest['op'], ms: number): void => {
      metrics.slowApplies.inc();
      log.warn({ op, took: `${ms.toFixed(1)}ms`, expectedDuration: '100ms' }, 'apply request took too long');
    },
  };
}

/** A late leader heartbeat: etcd_server_heartbeat_send_failures_total, with etcd's warning. */
export function heartbeatReport(metrics: MemberMetrics, log: Logger, clock: Clock, heartbeatIntervalMs: number): HeartbeatWatch {
  return new HeartbeatWatch(clock, heartbeatIntervalMs, (to, gapMs) => {
    metrics.heartbeatSendFailures.inc();
    log.warn({ to: to.toString(16), heartbeatInterval: `${heartbeatIntervalMs}ms`, expectedDuration: `${2 * heartbeatIntervalMs}ms`, exceededDuration: `${(gapMs - 2 * heartbeatIntervalMs).toFixed(1)}ms` }, 'leader failed to send out heartbeat on time; took too long, leader is overloaded likely from slow disk');
  });
}

export function snapshotSaveReport(metrics: MemberMetrics, clock: Clock): SnapshotSaveTiming {
  return { clock, onSaved: (seconds) => metrics.snapshotSaveSeconds.observe(seconds) };
}

/** One synced WAL write took `seconds`. */
export function observeWalSync(metrics: MemberMetrics, log: Logger, seconds: number): void {
  metrics.walFsyncSeconds.observe(seconds);
  // The applied backend writes ride in the same synced batch as the WAL entries (one LevelDB
  // batch per Ready): that sync is the backend's commit too.
  metrics.backendCommitSeconds.observe(seconds);
  // etcd warns on a synced WAL write over a second: the disk is too slow for raft's timing.
  if (seconds > 1) log.warn({ took: `${seconds.toFixed(3)}s`, expectedDuration: '1s' }, 'slow fdatasync');
}

export interface GaugeSources {
  readonly id: number;
  readonly metrics: MemberMetrics;
  readonly backend: Backend;
  readonly store: KvStore;
  readonly node: RawNode;
  readonly cluster: Cluster;
  readonly watchHub: WatchHub;
  readonly peerMetrics: PeerMetrics;
  readonly transport: Transport;
}

/** Sets the periodic gauges; returns the backend's size (the quota check reads it). */
export async function refreshGauges(s: GaugeSources): Promise<number> {
  const dbSize = await s.backend.sizeBytes();
  s.metrics.dbTotalSizeBytes.set(dbSize);
  // cairn reports no free pages (LevelDB reclaims space itself): in use is the whole size, as status says.
  s.metrics.dbInUseSizeBytes.set(dbSize);
  s.metrics.keysTotal.set(s.store.indexedKeys());
  s.metrics.compactRevision.set(s.store.compactedRevision());
  s.metrics.proposalsCommitted.set(s.node.status().hardState.commit);
  s.metrics.isLearner.set(s.cluster.get(s.id)?.isLearner === true ? 1 : 0);
  const watch = s.watchHub.stats();
  s.metrics.watchersTotal.set(watch.synced + watch.unsynced + watch.victims);
  s.metrics.slowWatchersTotal.set(watch.unsynced + watch.victims);
  s.peerMetrics.update(s.transport.stats());
  return dbSize;
}
