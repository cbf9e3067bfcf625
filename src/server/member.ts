/**
 * A cairn member: raft, storage, store and transport joined (etcd `EtcdServer`). Writes are
 * proposed through raft and answered once applied here; linearizable reads wait for a shared
 * ReadIndex round; serializable reads are local. Construction wires; `Member.start` recovers.
 */
import type { RawNode } from '../raft/index.js';
import { newRaftNode } from './raft-node.js';
import { isLoneVoter } from './lone-voter.js';
import type { ConfChangeV2, SoftState } from '../raft/types.js';
import { isTxnReadOnly, isTxnSerializable, KvStore } from '../store/kv-store.js';
import { responseTooLarge } from '../store/range-size.js';
import type {
  CompactResponse, DeleteRangeRequest, DeleteRangeResponse, HashKVResponse, PutRequest, PutResponse,
  RangeRequest, RangeResponse, TxnRequest, TxnResponse,
} from '../store/requests.js';
import { Lessor, minLeaseTtlSeconds } from '../store/lessor.js';
import { WatchHub } from '../store/watch-hub.js';
import type { WatchStream } from '../store/watch-stream.js';
import type { PeerHandler } from '../transport/handshake.js';
import type { Transport } from '../transport/transport.js';
import type { Clock, Timer } from '../util/clock.js';
import { KvError } from '../util/errors.js';
import { Applier, type ApplyResult } from './apply.js';
import { appliedStateOp } from './applied-state.js';
import { recover, selfIdOp } from './bootstrap.js';
import { effectiveQuotaBytes, requestTimeoutMs, type MemberConfig } from './config.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import { Cluster, type Member as MemberRecord } from './membership.js';
import type { HeartbeatWatch } from './heartbeat-watch.js';
import { heartbeatReport, logForcedNewCluster, MembershipLog, observeWalSync, refreshGauges, slowApplyReport, snapshotSaveReport } from './member-reports.js';
import { MemberMetrics } from './metrics.js';
import { RaftLoop } from './raft-loop.js';
import { ReadIndexBatcher } from './read-index.js';
import { encodeRequest, RequestIdGenerator, type InternalRequest } from './requests.js';
import { SnapshotStage, backendCopy, sendSnapshotTo } from './snapshots.js';
import { MemberFate } from './member-fate.js';
import { WaitRegistry } from './wait.js';
import { SnapshotPolicy } from './snapshot-policy.js';
import { MemberLeases } from './leases.js';
import { Proposer } from './proposer.js';
import { AutoCompactor } from './auto-compaction.js';
import { SERVER_VERSION } from './version.js';
import { publishSelf } from './publish.js';
import { PeerMetrics, PeerSet, peerHandler } from './peers.js';
import { addsData, Alarms, applyAlarm, checkQuota } from './alarms.js';
import { answerJoin, tcpJoinQuery } from './join.js';
import type { MemberOptions, MemberStatus } from './member-types.js';
import { Authority, AuthStore } from './auth/authority.js';
import { registerAuthMetrics } from './auth/auth-metrics.js';
import type { AuthStamp } from './auth/auth-requests.js';

export type { MemberOptions, MemberStatus } from './member-types.js';

/** Proposals waiting at once before new ones get "too many requests" (bounded). */
const MAX_PENDING_PROPOSALS = 10_000;

export class Member {
  readonly metrics: MemberMetrics;
  readonly watchHub: WatchHub;
  readonly leases: MemberLeases;
  readonly alarms: Alarms;
  readonly auth: Authority;
  private readonly log: Logger;
  private readonly waits = new WaitRegistry<ApplyResult>(MAX_PENDING_PROPOSALS);
  readonly stage: SnapshotStage;
  private readonly reads: ReadIndexBatcher;
  private readonly loop: RaftLoop;
  private readonly applier: Applier;
  private readonly ids: RequestIdGenerator;
  private readonly transport: Transport;
  private readonly snapshotPolicy: SnapshotPolicy;
  private readonly proposer: Proposer;
  private leader = 0;
  private readonly peers: PeerSet;
  private readonly peerMetrics: PeerMetrics;
  private readonly heartbeats: HeartbeatWatch;
  readonly autoCompactor: AutoCompactor;
  private readonly membershipLog: MembershipLog;
  private term = 0;
  /** Backend size as last measured (refreshed every second) for the quota check. */
  private dbSize = 0;
  private stopped = false;
  /** Set once this member learns it was removed: every request then fails with etcd's error. */
  private statusTimer: Timer | undefined;
  private readonly fate: MemberFate;

  private constructor(
    private readonly o: MemberOptions,
    readonly id: number,
    readonly cluster: Cluster,
    private readonly node: RawNode,
    private readonly store: KvStore,
    lessor: Lessor,
    alarms: Alarms,
    authStore: AuthStore,
    recovered: Awaited<ReturnType<typeof recover>>,
  ) {
    this.alarms = alarms;
    this.auth = new Authority({
      store: authStore,
      clock: o.clock,
      options: o.config,
      propose: (request) => this.propose({ op: 'auth', request }),
      barrier: () => this.reads.wait(),
      appliedIndex: () => this.applier.appliedIndex,
    });
    this.log = o.logger ?? silentLogger;
    this.fate = new MemberFate({
      log: this.log,
      memberId: id,
      stopped: () => this.stopped,
      halt: () => {
        this.reads.stop();
        this.waits.failAll(new KvError('Stopped'));
      },
    });
    this.membershipLog = new MembershipLog(this.log, cluster);
    this.metrics = o.metrics ?? new MemberMetrics();
    registerAuthMetrics(this.metrics.registry, authStore);
    this.stage = new SnapshotStage(o.dataDir, effectiveQuotaBytes(o.config), () => this.applier.appliedIndex, this.log);
    this.ids = new RequestIdGenerator(id, o.rng.next() * 2 ** 48);
    // etcd fragments watch responses above max-request-bytes + 512 KiB (its gRPC send limit).
    this.watchHub = new WatchHub(store, o.clock, { fragmentBytes: o.config.maxRequestBytes + 512 * 1024 });
    store.onCommit(this.watchHub.listener);
    this.leases = new MemberLeases(lessor, store, o.dataDir.backend, (r) => this.propose(r), () => this.isLeader, () => this.reads.wait());
    this.leases.onRenewed = () => this.metrics.leasesRenewed.inc();
    this.autoCompactor = new AutoCompactor({
      mode: o.config.autoCompactionMode,
      retention: o.config.autoCompactionRetention,
      clock: o.clock,
      isLeader: () => this.isLeader,
      currentRevision: () => store.currentRevision(),
      compactedRevision: () => store.compactedRevision(),
      compact: (revision) => this.compact(revision),
      onError: (err) => this.log.warn({ err: String(err) }, 'auto compaction failed'),
    });
    const { snapshot, backendApplied, storage } = recovered;
    this.applier = new Applier(
      {
        node,
        store,
        backend: o.dataDir.backend,
        cluster,
        waits: this.waits,
        extensions: {
          apply: (request, extra, index) => {
            if (request.op === 'alarm') return applyAlarm(alarms, o.dataDir.backend, request, extra);
            if (request.op === 'auth') return this.auth.apply(request.request, extra, index, o.dataDir.backend);
            const done = this.leases.apply(request, extra);
            if (request.op === 'leaseGrant') void done?.then(() => this.metrics.leasesGranted.inc(), () => undefined);
            if (request.op === 'leaseRevoke') void done?.then(() => this.metrics.leasesRevoked.inc(), () => undefined);
            return done;
          },
        },
        admit: (request, stamp) => {
          this.auth.admit(stamp);
          if (addsData(request) && alarms.has('NOSPACE')) throw new KvError('NoSpace');
        },
        slowApply: slowApplyReport(this.metrics, this.log, o.clock),
        selfId: id,
        onMembership: (c) => {
          this.membershipLog.changed(c);
          this.peers.sync(c);
        },
        onRemoved: () => this.fate.removed(),
      },
      snapshot.index,
      backendApplied.index,
      snapshot.confState,
      snapshot.term,
    );
    this.snapshotPolicy = new SnapshotPolicy(o.config, storage, o.dataDir.wal, snapshot.index, snapshotSaveReport(this.metrics, o.clock));
    this.heartbeats = heartbeatReport(this.metrics, this.log, o.clock, o.config.heartbeatIntervalMs);
    const handler: PeerHandler = {
      ...peerHandler(() => this.loop, this.stage, this.log),
      answerJoin: (peerUrls) => answerJoin(cluster, peerUrls),
      isRemoved: (peer) => cluster.isRemoved(peer),
      onRemoved: () => this.fate.removed(),
    };
    this.transport = o.transport(handler, { memberId: id, clusterId: cluster.clusterId });
    this.peers = new PeerSet(id, this.transport);
    this.peerMetrics = new PeerMetrics(this.metrics);
    this.reads = new ReadIndexBatcher({
      clock: o.clock,
      memberId: id,
      rng: o.rng,
      requestReadIndex: (ctx) => this.loop.submit((n) => n.readIndex(ctx)),
      appliedIndex: () => this.applier.appliedIndex,
      timeoutMs: requestTimeoutMs(o.config),
      retryMs: 500,
      maxWaiting: MAX_PENDING_PROPOSALS,
    });
    this.loop = new RaftLoop({
      node,
      storage,
      wal: o.dataDir.wal,
      clock: o.clock,
      tickMs: o.config.heartbeatIntervalMs,
      maxQueued: MAX_PENDING_PROPOSALS,
      send: (messages) => {
        this.heartbeats.observe(messages);
        this.transport.send(messages);
      },
      sendSnapshot: (msg) =>
        sendSnapshotTo(msg, this.applier, { backend: o.dataDir.backend, transport: this.transport, log: this.log, metrics: this.metrics }, (to) => this.loop.submitQuietly((n) => n.reportSnapshot(to, 'failure'))),
      installSnapshot: async (snap) => {
        const { index, term, confState } = snap.metadata;
        // This member's own records go into the staged store before the switch (never replicated).
        const localOps = [selfIdOp(id), appliedStateOp({ index, term, confState })];
        await this.stage.install(snap, localOps, store, async () => {
          await lessor.reload(o.dataDir.backend);
          await alarms.reload(o.dataDir.backend);
          await authStore.reload(o.dataDir.backend);
        }, o.onInstallStep);
        const reloaded = await Cluster.load(o.dataDir.backend);
        if (reloaded === undefined) throw new KvError('StorageCorrupt', 'cairn: the snapshot restored a backend without a member table');
        cluster.replaceWith(reloaded);
        this.applier.resetTo(snap.metadata.index, snap.metadata.term, snap.metadata.confState);
        this.snapshotPolicy.installed(snap.metadata.index);
        this.watchHub.restore();
        this.peers.sync(cluster);
        this.metrics.snapshotsReceived.inc({ From: this.leader.toString(16) });
        this.log.info({ index: snap.metadata.index }, 'installed snapshot from leader');
      },
      apply: async (entries) => {
        await this.applier.applyAll(entries);
        this.reads.onApplied(this.applier.appliedIndex);
        this.metrics.proposalsApplied.set(this.applier.appliedIndex);
        await this.snapshotPolicy.afterApply(this.applier.appliedIndex, this.applier.currentConfState);
      },
      onSoftState: (s) => this.onSoftState(s),
      onReadStates: (states) => {
        for (const rs of states) this.reads.onReadState(rs);
      },
      onFatal: (err) => this.fate.failed(err),
      onWalSync: (s) => observeWalSync(this.metrics, this.log, s),
    });
    this.proposer = new Proposer({
      loop: this.loop,
      waits: this.waits,
      clock: o.clock,
      metrics: this.metrics,
      timeoutMs: requestTimeoutMs(o.config),
      retryMs: o.config.heartbeatIntervalMs,
      leader: () => this.leader,
      // Read the commit index directly: status() builds a progress map, too much per proposal.
      applyBacklog: () => this.node.raft.log.committed - this.applier.appliedIndex,
    });
  }

  /** Recovers (or creates) the member in `options.dataDir` and starts it. */
  static async start(o: MemberOptions): Promise<Member> {
    const recovered = await recover(o.config, o.dataDir.wal, o.dataDir.backend, o.joinQuery ?? tcpJoinQuery(o.config));
    const lessor = await Lessor.open(o.dataDir.backend, o.clock, {
      minTtlSeconds: minLeaseTtlSeconds(o.config.heartbeatIntervalMs, o.config.electionTimeoutMs),
      rng: o.rng,
    });
    const store = await KvStore.open(o.dataDir.backend, { maxTxnOps: o.config.maxTxnOps, maxResponseBytes: o.config.maxResponseBytes, leases: lessor, clock: o.clock });
    const node = newRaftNode(o.config, recovered, o.rng);
    const alarms = await Alarms.load(o.dataDir.backend);
    const member = new Member(o, recovered.selfId, recovered.cluster, node, store, lessor, alarms, await AuthStore.load(o.dataDir.backend), recovered);
    if (recovered.forced !== undefined) logForcedNewCluster(member.log, member.id, member.cluster.clusterId, recovered.forced);
    await member.begin(recovered.fresh);
    return member;
  }

  private async begin(fresh: boolean): Promise<void> {
    await this.transport.start();
    this.peers.sync(this.cluster);
    this.metrics.serverId.set({ server_id: this.id.toString(16) }, 1);
    this.metrics.serverVersion.set({ server_version: SERVER_VERSION }, 1);
    this.metrics.quotaBackendBytes.set(effectiveQuotaBytes(this.o.config));
    await this.refreshSizeMetrics();
    // A failed refresh must not become an unhandled rejection (it would end the process).
    this.statusTimer = this.o.clock.setInterval(() => void this.refreshSizeMetrics().catch((err: unknown) => this.log.warn({ err: String(err) }, 'could not refresh the size metrics')), 1000);
    this.loop.start();
    if (isLoneVoter(this.applier.currentConfState, this.id)) this.loop.submit((n) => n.campaign());
    this.leases.startExpiryLoop(this.o.clock);
    this.autoCompactor.start();
    void publishSelf(this, this.o.clock, () => this.stopped || this.fate.ended);
    this.log.info({ member: this.id.toString(16), cluster: this.cluster.clusterId.toString(16), fresh }, 'member started');
  }

  // ---- client API -------------------------------------------------------------------------

  /** Bounded by --max-response-bytes; `charge` is the caller's budget for the bytes it reads. */
  async range(req: RangeRequest, charge?: (bytes: number) => Promise<void>): Promise<RangeResponse> {
    this.checkRunning();
    if (!req.serializable) {
      this.refuseOnLearner();
      await this.reads.wait();
    }
    this.metrics.rangeTotal.inc();
    return this.store.range(req, { maxResponseBytes: this.config.maxResponseBytes, charge });
  }

  /** `auth`: the caller's auth stamp (auth/authority.ts), checked again at apply. */
  async put(req: PutRequest, auth?: AuthStamp): Promise<PutResponse> {
    this.refuseOnLearner();
    this.metrics.putTotal.inc();
    return this.propose({ op: 'put', request: req }, auth) as Promise<PutResponse>;
  }

  async deleteRange(req: DeleteRangeRequest, auth?: AuthStamp): Promise<DeleteRangeResponse> {
    this.refuseOnLearner();
    this.metrics.deleteTotal.inc();
    const res = (await this.propose({ op: 'deleteRange', request: req }, auth)) as DeleteRangeResponse;
    // Past --max-response-bytes the deletes are applied and only the answer fails, as etcd's does.
    if (res.tooLarge !== undefined) throw responseTooLarge(res.tooLarge, this.config.maxResponseBytes);
    return res;
  }

  /** etcd's Txn: one without writes is a read (no proposal); past --max-response-bytes a write txn answers ResourceExhausted with its writes applied. */
  async txn(req: TxnRequest, auth?: AuthStamp): Promise<TxnResponse> {
    this.metrics.txnTotal.inc();
    if (isTxnReadOnly(req)) {
      this.checkRunning();
      if (!isTxnSerializable(req)) {
        this.refuseOnLearner();
        await this.reads.wait();
      }
      return this.store.txn(req);
    }
    this.refuseOnLearner();
    const res = (await this.propose({ op: 'txn', request: req }, auth)) as TxnResponse;
    if (res.tooLarge !== undefined) throw responseTooLarge(res.tooLarge, this.config.maxResponseBytes);
    return res;
  }

  /** Resolves once the compaction is agreed; `physical` resolves when the old revisions are gone. */
  async compact(revision: number): Promise<CompactResponse> {
    this.refuseOnLearner();
    return this.propose({ op: 'compact', revision }) as Promise<CompactResponse>;
  }

  async hashKV(revision = 0): Promise<HashKVResponse> {
    this.checkRunning();
    return this.store.hash(revision);
  }

  /** A consistent copy of the whole backend, as chunks; for `snapshot save`. */
  async backendCopy(chunkBytes = 32 * 1024): Promise<{ totalBytes: number; chunks: AsyncIterable<Uint8Array> }> {
    this.checkRunning();
    return backendCopy(this.o.dataDir.backend, chunkBytes);
  }

  /** etcd's Defragment: LevelDB compacts the key space's files now instead of in its own time. */
  readonly defragment = (): Promise<void> => this.o.dataDir.backend.defragment();

  newWatchStream(): WatchStream {
    this.checkRunning();
    return this.watchHub.newStream();
  }

  memberList(): MemberRecord[] {
    return this.cluster.list();
  }

  async status(): Promise<MemberStatus> {
    return {
      memberId: this.id,
      clusterId: this.cluster.clusterId,
      leader: this.leader,
      raftTerm: this.term,
      raftIndex: this.node.status().hardState.commit,
      raftAppliedIndex: this.applier.appliedIndex,
      isLearner: this.cluster.get(this.id)?.isLearner ?? false,
      dbSize: await this.o.dataDir.backend.sizeBytes(),
      errors: this.fate.cause === undefined ? [] : [String((this.fate.cause as Error).message ?? this.fate.cause)],
    };
  }

  get clock(): Clock {
    return this.o.clock;
  }

  get config(): MemberConfig {
    return this.o.config;
  }

  get isLeader(): boolean {
    return this.leader === this.id && !this.stopped;
  }

  get leaderId(): number {
    return this.leader;
  }

  get raftTerm(): number {
    return this.term;
  }

  get appliedIndex(): number {
    return this.applier.appliedIndex;
  }

  /** Stops serving; the data directory is left closed and consistent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.statusTimer?.cancel();
    this.leases.stop();
    this.autoCompactor.stop();
    await this.loop.stop();
    this.reads.stop();
    this.waits.failAll(new KvError('Stopped'));
    this.watchHub.close();
    await this.transport.stop();
    await this.store.close();
    await this.o.dataDir.close();
    this.log.info({ member: this.id.toString(16) }, 'member stopped');
  }

  // ---- internals --------------------------------------------------------------------------

  /** etcd: a learner serves only serializable reads and status; the rest is for voters. */
  refuseOnLearner(): void {
    if (this.cluster.get(this.id)?.isLearner === true) throw new KvError('NotSupportedForLearner');
  }

  /** See MemberFate.whenRemoved. */
  whenRemoved(): Promise<void> {
    return this.fate.whenRemoved;
  }

  /** See MemberFate.whenFailed. */
  whenFailed(): Promise<Error> {
    return this.fate.whenFailed;
  }

  private checkRunning(): void {
    this.fate.check();
    if (this.stopped) throw new KvError('Stopped');
  }

  /** Runs `fn` against the raft node at the loop's next safe point (between Readies). */
  submitToRaft(fn: (node: RawNode) => void): void {
    this.checkRunning();
    this.loop.submit(fn);
  }

  /** Proposes an internal request and resolves with its apply result (or its error). */
  async propose(request: InternalRequest, auth?: AuthStamp): Promise<unknown> {
    this.checkRunning();
    const quota = effectiveQuotaBytes(this.o.config);
    checkQuota(request, this.alarms, this.dbSize, quota, () => {
      this.log.warn({ dbSize: this.dbSize, quota }, 'backend quota exceeded: raising the NOSPACE alarm');
      this.propose({ op: 'alarm', action: 'activate', memberId: this.id, alarm: 'NOSPACE' }).catch(() => undefined);
    });
    const id = this.ids.next();
    const data = encodeRequest(auth === undefined ? { id, request } : { id, request, auth });
    if (data.length > this.o.config.maxRequestBytes) throw new KvError('RequestTooLarge');
    return this.proposer.propose(id, (node) => node.propose(data));
  }

  /** Proposes a membership change whose context carries `requestId`; resolves with the new member list. */
  async proposeConfChange(requestId: string, cc: ConfChangeV2): Promise<unknown> {
    this.checkRunning();
    // Raft refuses a change until the leader's term has a committed entry, or while another is
    // pending: both pass, so a refused change is retried until the request times out.
    return this.proposer.propose(requestId, (node) => node.proposeConfChange(cc), true);
  }

  /** Peers whose outbound stream is up now (etcd's "started and connected" for strict reconfig checks). */
  activePeerIds(): Set<number> {
    return new Set(this.transport.stats().peers.filter((p) => p.active).map((p) => p.id));
  }

  /** Each member's replication progress: on the leader only (undefined elsewhere). */
  raftProgress(): ReadonlyMap<number, { readonly match: number }> | undefined {
    return this.isLeader ? this.node.status().progress : undefined;
  }

  nextRequestId(): string {
    return this.ids.next();
  }

  private onSoftState(s: SoftState): void {
    const previous = this.leader;
    this.leader = s.lead;
    this.term = this.node.status().hardState.term;
    this.metrics.hasLeader.set(s.lead !== 0 ? 1 : 0);
    this.metrics.isLeader.set(s.raftState === 'leader' ? 1 : 0);
    if (s.raftState !== 'leader') this.heartbeats.reset();
    // etcd extends every lease by an election timeout on promotion, so none expires for lack of a leader.
    this.leases.onLeadership(s.raftState === 'leader', this.o.config.electionTimeoutMs);
    if (s.lead !== 0) this.proposer.onLeader();
    if (s.lead !== previous && s.lead !== 0) {
      this.metrics.leaderChanges.inc();
      this.log.info({ member: this.id.toString(16), leader: s.lead.toString(16), term: this.term }, 'leader elected');
    }
  }

  private async refreshSizeMetrics(): Promise<void> {
    if (this.stopped) return;
    const { id, metrics, store, node, cluster, watchHub, peerMetrics, transport } = this;
    this.dbSize = await refreshGauges({ id, metrics, backend: this.o.dataDir.backend, store, node, cluster, watchHub, peerMetrics, transport });
  }
}
