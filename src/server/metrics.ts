/**
 * A member's Prometheus metrics under etcd's names, labels and buckets, so etcd's Grafana
 * dashboards and alerts work unchanged. One registry per member (embedding several members in
 * one process must not mix their numbers).
 */
import { Counter, Gauge, Histogram, Registry, exponentialBuckets } from 'prom-client';

/** etcd's disk histograms: 1 ms doubling to ~8 s. */
const DISK_BUCKETS = exponentialBuckets(0.001, 2, 14);
/** etcd's peer round-trip histogram: 0.1 ms doubling to ~3 s. */
const RTT_BUCKETS = exponentialBuckets(0.0001, 2, 16);

export class MemberMetrics {
  readonly registry: Registry;
  readonly hasLeader: Gauge;
  readonly isLeader: Gauge;
  readonly isLearner: Gauge;
  readonly leaderChanges: Counter;
  readonly proposalsCommitted: Gauge;
  readonly proposalsApplied: Gauge;
  readonly proposalsPending: Gauge;
  readonly proposalsFailed: Counter;
  readonly slowApplies: Counter;
  readonly heartbeatSendFailures: Counter;
  readonly quotaBackendBytes: Gauge;
  readonly serverId: Gauge<'server_id'>;
  readonly serverVersion: Gauge<'server_version'>;
  readonly walFsyncSeconds: Histogram;
  readonly backendCommitSeconds: Histogram;
  readonly snapshotSaveSeconds: Histogram;
  readonly dbTotalSizeBytes: Gauge;
  readonly dbInUseSizeBytes: Gauge;
  readonly keysTotal: Gauge;
  readonly watchersTotal: Gauge;
  readonly slowWatchersTotal: Gauge;
  readonly putTotal: Counter;
  readonly deleteTotal: Counter;
  readonly rangeTotal: Counter;
  readonly txnTotal: Counter;
  readonly compactRevision: Gauge;
  readonly leasesGranted: Counter;
  readonly leasesRevoked: Counter;
  readonly leasesRenewed: Counter;
  readonly peerSentBytes: Counter<'To'>;
  readonly peerReceivedBytes: Counter<'From'>;
  readonly peerSentFailures: Counter<'To'>;
  readonly peerRoundTripSeconds: Histogram<'To'>;
  readonly snapshotsSent: Counter<'To'>;
  readonly snapshotsReceived: Counter<'From'>;
  /** cairn only: inbound peer connections refused (handshake) or dropped (a frame or message that breaks the protocol). */
  readonly peerRejected: Counter<'reason'>;

  constructor(registry = new Registry()) {
    this.registry = registry;
    const r = [registry];
    const gauge = (name: string, help: string) => new Gauge({ name, help, registers: r });
    const counter = (name: string, help: string) => new Counter({ name, help, registers: r });
    this.hasLeader = gauge('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.');
    this.isLeader = gauge('etcd_server_is_leader', 'Whether or not this member is a leader. 1 if is, 0 otherwise.');
    this.isLearner = gauge('etcd_server_is_learner', 'Whether or not this member is a learner. 1 if is, 0 otherwise.');
    this.leaderChanges = counter('etcd_server_leader_changes_seen_total', 'The number of leader changes seen.');
    this.proposalsCommitted = gauge('etcd_server_proposals_committed_total', 'The total number of consensus proposals committed.');
    this.proposalsApplied = gauge('etcd_server_proposals_applied_total', 'The total number of consensus proposals applied.');
    this.proposalsPending = gauge('etcd_server_proposals_pending', 'The current number of pending proposals to commit.');
    this.proposalsFailed = counter('etcd_server_proposals_failed_total', 'The total number of failed proposals seen.');
    this.slowApplies = counter('etcd_server_slow_apply_total', 'The total number of slow apply requests (likely overloaded from slow disk).');
    this.heartbeatSendFailures = counter('etcd_server_heartbeat_send_failures_total', 'The total number of leader heartbeat send failures (likely overloaded from slow disk).');
    this.quotaBackendBytes = gauge('etcd_server_quota_backend_bytes', 'Current backend storage quota size in bytes.');
    this.serverId = new Gauge({ name: 'etcd_server_id', help: 'Server or member ID in hexadecimal format. 1 for \'server_id\' label with current ID.', labelNames: ['server_id'], registers: r });
    this.serverVersion = new Gauge({ name: 'etcd_server_version', help: 'Which version is running. 1 for \'server_version\' label with current version.', labelNames: ['server_version'], registers: r });
    this.walFsyncSeconds = new Histogram({ name: 'etcd_disk_wal_fsync_duration_seconds', help: 'The latency distributions of fsync called by WAL.', buckets: DISK_BUCKETS, registers: r });
    this.backendCommitSeconds = new Histogram({ name: 'etcd_disk_backend_commit_duration_seconds', help: 'The latency distributions of commit called by backend.', buckets: DISK_BUCKETS, registers: r });
    this.snapshotSaveSeconds = new Histogram({ name: 'etcd_debugging_snap_save_total_duration_seconds', help: 'The total latency distributions of save called by snapshot.', buckets: DISK_BUCKETS, registers: r });
    this.dbTotalSizeBytes = gauge('etcd_mvcc_db_total_size_in_bytes', 'Total size of the underlying database physically allocated in bytes.');
    this.dbInUseSizeBytes = gauge('etcd_mvcc_db_total_size_in_use_in_bytes', 'Total size of the underlying database logically in use in bytes.');
    this.keysTotal = gauge('etcd_debugging_mvcc_keys_total', 'Total number of keys.');
    this.watchersTotal = gauge('etcd_debugging_mvcc_watcher_total', 'Total number of watchers.');
    this.slowWatchersTotal = gauge('etcd_debugging_mvcc_slow_watcher_total', 'Total number of unsynced slow watchers.');
    this.putTotal = counter('etcd_mvcc_put_total', 'Total number of puts seen by this member.');
    this.deleteTotal = counter('etcd_mvcc_delete_total', 'Total number of deletes seen by this member.');
    this.rangeTotal = counter('etcd_mvcc_range_total', 'Total number of ranges seen by this member.');
    this.txnTotal = counter('etcd_mvcc_txn_total', 'Total number of txns seen by this member.');
    this.compactRevision = gauge('etcd_debugging_mvcc_compact_revision', 'The revision of the last compaction in store.');
    this.leasesGranted = counter('etcd_debugging_lease_granted_total', 'The total number of granted leases.');
    this.leasesRevoked = counter('etcd_debugging_lease_revoked_total', 'The total number of revoked leases.');
    this.leasesRenewed = counter('etcd_debugging_lease_renewed_total', 'The number of renewed leases seen by the leader.');
    this.peerSentBytes = new Counter({ name: 'etcd_network_peer_sent_bytes_total', help: 'The total number of bytes sent to peers.', labelNames: ['To'], registers: r });
    this.peerReceivedBytes = new Counter({ name: 'etcd_network_peer_received_bytes_total', help: 'The total number of bytes received from peers.', labelNames: ['From'], registers: r });
    this.peerSentFailures = new Counter({ name: 'etcd_network_peer_sent_failures_total', help: 'The total number of send failures from peers.', labelNames: ['To'], registers: r });
    this.peerRoundTripSeconds = new Histogram({ name: 'etcd_network_peer_round_trip_time_seconds', help: 'Round-Trip-Time histogram between peers', labelNames: ['To'], buckets: RTT_BUCKETS, registers: r });
    this.snapshotsSent = new Counter({ name: 'etcd_network_snapshot_send_success', help: 'Total number of successful snapshot sends', labelNames: ['To'], registers: r });
    this.peerRejected = new Counter({
      name: 'cairn_network_peer_rejected_total',
      help: 'Inbound peer connections refused at the handshake (another cluster, an unknown member, a bad certificate) or dropped for a frame or message that breaks the protocol (such as a message claiming another member).',
      labelNames: ['reason'],
      registers: r,
    });
    this.snapshotsReceived = new Counter({ name: 'etcd_network_snapshot_receive_success', help: 'Total number of successful snapshot receives', labelNames: ['From'], registers: r });
  }

  /** Text exposition format, for `/metrics`. */
  async render(): Promise<string> {
    return this.registry.metrics();
  }
}
