/**
 * `cairn serve`: one member as a process. Flags → LevelDB data dir → TCP peer transport →
 * member → etcd's HTTP gateway and gRPC API on each client URL. SIGINT/SIGTERM stop it cleanly;
 * a second signal exits at once.
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics } from 'prom-client';
import { createGrpcServer, type GrpcServer } from '../grpc/server.js';
import { shareTlsWithGrpc, shareWithGrpc } from '../grpc/port-sharing.js';
import type { Server as TlsServer } from 'node:tls';
import { buildApp } from '../http/app.js';
import { effectiveHostWhitelist } from '../http/host-check.js';
import { autoMaxConnections } from '../http/connection-limits.js';
import { limitsFor } from '../http/limits.js';
import type { MemberConfig } from '../server/config.js';
import { RANGE_BYTES_IN_FLIGHT_FACTOR, requestTimeoutMs } from '../server/config.js';
import { silentLogger, type Logger } from '../server/logger.js';
import { Member, type MemberOptions } from '../server/member.js';
import { CAIRN_VERSION, MemberService } from '../server/service.js';
import { CallerService } from '../server/auth/caller-service.js';
import type { Credentials } from '../api/auth-types.js';
import { memberClientTls, peerTlsOptions, tlsSchemeWarnings } from '../server/tls-settings.js';
import { tlsFetch } from '../util/tls-fetch.js';
import { openDataDir, type DataDir } from '../storage/data-dir.js';
import type { DataDirWarning } from '../storage/data-dir-files.js';
import { LevelKv } from '../storage/level-kv.js';
import { addAccessLog } from './access-log.js';
import { withAutoTls } from './auto-tls.js';
import { clientTlsServerOptions, reloadCertificatesOnChange, watchCertificates } from './client-tls.js';
import type { PeerTlsOptions } from '../transport/dial.js';
import { exposureWarnings, peerExposureWarnings } from './exposure.js';
import { createLogger } from './log.js';
import { startMemoryRelease } from './memory-release.js';
import { listenMetrics } from './metrics-listener.js';
import { openFileLimit } from './open-file-limit.js';
import { openTestDataDir, testHooksRequested } from './test-hooks.js';
import { TcpTransport } from '../transport/tcp-transport.js';
import { defaultUiDir, loadUiAssets } from '../ui/assets.js';
import { ByteBudget } from '../util/byte-budget.js';
import { SystemClock } from '../util/clock.js';
import { SeededRng } from '../util/rng.js';
import { CLUSTER_VERSION, SERVER_VERSION } from '../util/version.js';

export interface RunningServer {
  readonly member: Member;
  readonly clientUrls: string[];
  /** Where `--listen-metrics-urls` listeners are bound. */
  readonly metricsUrls: string[];
  /** Resolves when the member learns it was removed from the cluster. */
  readonly removed: Promise<void>;
  /** Resolves with the error when the member stops on a storage failure (Member.whenFailed). */
  readonly failed: Promise<Error>;
  /** Closes the client ports, letting answers in flight go out. */
  closeClients(): Promise<void>;
  stop(): Promise<void>;
}

/** A member's data dir as both composition roots (serve, startNode) open it. */
export function openMemberDataDir(dir: string, warn?: DataDirWarning): Promise<DataDir> {
  // TEST ONLY (test/chaos, test/server): CAIRN_TEST_* select a power-loss, slow or full disk.
  if (testHooksRequested()) return openTestDataDir(dir, (location, label) => LevelKv.open(location, label));
  return openDataDir(dir, warn);
}

/** Member.start over an open data dir; a start that fails closes it (releasing its lock). */
export async function startMember(options: MemberOptions): Promise<Member> {
  try {
    return await Member.start(options);
  } catch (err) {
    await options.dataDir.close().catch(() => undefined);
    throw err;
  }
}

export interface StartServerOptions {
  /** Where the member logs; `false` for nowhere. Default: JSON lines to stderr at config.logLevel. */
  readonly logger?: Logger | false;
  /** etcd's `--log-outputs` for the default logger. */
  readonly logOutputs?: readonly string[];
  /** etcd's `--listen-metrics-urls`: extra listeners for /metrics and /health. */
  readonly metricsUrls?: readonly string[];
  /** Logged as warnings once the logger exists (ignored flags, v2 not served, …). */
  readonly warnings?: readonly string[];
}

export async function startServer(flags: MemberConfig, o: StartServerOptions = {}): Promise<RunningServer> {
  const log: Logger = o.logger === false ? silentLogger : (o.logger ?? createLogger({ level: flags.logLevel, name: flags.name, outputs: o.logOutputs }));
  for (const warning of [...(o.warnings ?? []), ...tlsSchemeWarnings(flags)]) log.warn({}, warning);
  const config = await withAutoTls(flags, log);
  const dataDir = await openMemberDataDir(config.dataDir, (fields, msg) => log.warn(fields, msg));
  const clock = new SystemClock();
  const rng = new SeededRng(randomInt(2 ** 31));
  let peerTransport: TcpTransport | undefined;
  let stopPeerReload = (): void => {};
  const member = await startMember({
    config,
    dataDir,
    clock,
    rng,
    logger: log,
    transport: (handler, ids) =>
      (peerTransport = new TcpTransport({
        id: ids.memberId,
        clusterId: ids.clusterId.toString(16),
        listenUrl: config.listenPeerUrls[0] as string,
        handler,
        tls: peerTlsOptions(config),
        clock,
        rng,
        log: (e) => log[e.level]({ peer: e.peer?.toString(16), err: e.error?.message }, e.msg),
      })),
  });
  if (peerTransport !== undefined) {
    const transport = peerTransport;
    if (config.peerTls.certFile !== '') {
      stopPeerReload = watchCertificates(config.peerTls, 'peer', () => transport.reloadTls(peerTlsOptions(config) as PeerTlsOptions), log);
    }
    log.info({ peerUrl: peerTransport.url }, 'serving peer traffic');
    for (const warning of peerExposureWarnings(peerTransport.url)) log.warn({}, warning);
  }
  const service = new MemberService(member, tlsFetch(memberClientTls(config)));
  const caller = (credentials: Credentials): CallerService => new CallerService(service, member.auth, credentials);
  // process_* and nodejs_* (etcd's dashboards read process_resident_memory_bytes and friends).
  collectDefaultMetrics({ register: member.metrics.registry });
  // One budget for every client listener and the gRPC API: the bound is the member's.
  const rangeBudget = new ByteBudget(RANGE_BYTES_IN_FLIGHT_FACTOR * config.maxResponseBytes);
  // Quiet also means no write applied since the last check: under a write load the heap churns
  // past the threshold every few seconds, and a forced full collection there is a 30-80 ms pause.
  // Nor while a snapshot is received: its key index grows the heap (live, not garbage), so the
  // check fired mid-receive on a joining member (82 ms at 200k keys, load 15), a pause that grows
  // with the index.
  let appliedAtLastCheck = member.appliedIndex;
  const memoryRelease = startMemoryRelease(() => {
    const applied = member.appliedIndex;
    const noWrites = applied === appliedAtLastCheck;
    appliedAtLastCheck = applied;
    const hub = member.watchHub.stats();
    return noWrites && !member.stage.isReceiving && hub.catchUpBytes === 0 && hub.unsynced === 0 && hub.victims === 0 && rangeBudget.inUse === 0;
  }, log);
  const version = { etcdserver: SERVER_VERSION, etcdcluster: CLUSTER_VERSION };
  const apps: FastifyInstance[] = [];
  const clientUrls: string[] = [];
  const metricsUrls: string[] = [];
  const maxConnections = config.maxConnections > 0 ? config.maxConnections : autoMaxConnections(openFileLimit());
  // etcd serves its gRPC API and the JSON gateway on the same client URLs.
  // Only TLS connections carry a certificate, and every https:// client URL has the same --client-cert-auth.
  const grpc: GrpcServer = createGrpcServer(service, limitsFor(config.maxRequestBytes), rangeBudget, member.metrics.registry, {
    keepaliveIntervalMs: config.grpcKeepaliveIntervalMs,
    keepaliveTimeoutMs: config.grpcKeepaliveTimeoutMs,
    keepaliveMinTimeMs: config.grpcKeepaliveMinTimeMs,
    electionTimeoutMs: config.electionTimeoutMs,
    hasLeader: () => member.leaderId !== 0,
  }, caller, config.clientTls.clientCertAuth);
  const stopReloads: Array<() => void> = [];
  const closeClients = async (): Promise<void> => {
    for (const stop of stopReloads.splice(0)) stop();
    memoryRelease.stop();
    grpc.close();
    for (const app of apps.splice(0)) await app.close();
  };
  const ui = config.ui ? { assets: loadUiAssets(defaultUiDir()) } : undefined;
  if (ui !== undefined && ui.assets === undefined) log.warn({ dir: defaultUiDir() }, 'web UI not built: /ui answers 503 (run npm run build)');
  try {
    for (const raw of config.listenClientUrls) {
      const url = new URL(raw);
      const secure = url.protocol === 'https:';
      const app = buildApp({
        service,
        caller,
        maxRequestBytes: config.maxRequestBytes,
        rangeBudget,
        registry: member.metrics.registry,
        cors: config.cors,
        hostWhitelist: effectiveHostWhitelist(config.hostWhitelist, config.listenClientUrls),
        version,
        healthTimeoutMs: requestTimeoutMs(config),
        connectionLimits: { maxConnections },
        ui,
        warn: (fields, msg) => log.warn(fields, msg),
        ...(secure ? { https: clientTlsServerOptions(config), clientCertIdentity: config.clientTls.clientCertAuth } : {}),
      });
      if (config.logLevel === 'debug') addAccessLog(app, log);
      if (secure) {
        shareTlsWithGrpc(app.server as unknown as TlsServer, (socket) => grpc.injectConnection(socket));
        stopReloads.push(reloadCertificatesOnChange(app.server as unknown as TlsServer, config, log));
      } else {
        shareWithGrpc(app.server, (socket) => grpc.injectConnection(socket));
      }
      const address = await app.listen({ host: url.hostname, port: Number(url.port) });
      apps.push(app);
      clientUrls.push(address);
    }
    const metrics = await listenMetrics(o.metricsUrls ?? [], { service, registry: member.metrics.registry, version, healthTimeoutMs: requestTimeoutMs(config) });
    apps.push(...metrics.apps);
    metricsUrls.push(...metrics.urls);
  } catch (err) {
    await closeClients();
    stopPeerReload();
    await member.stop();
    throw err;
  }
  log.info({ clientUrls, version: CAIRN_VERSION, maxConnections }, 'serving client requests');
  // Auth state as this member's store holds it at start (replicated, so the same cluster-wide).
  for (const warning of exposureWarnings(clientUrls, { authEnabled: member.auth.enabled })) log.warn({}, warning);
  return {
    member,
    clientUrls,
    metricsUrls,
    removed: member.whenRemoved(),
    failed: member.whenFailed(),
    closeClients,
    stop: async () => {
      await closeClients();
      stopPeerReload();
      await member.stop();
    },
  };
}
