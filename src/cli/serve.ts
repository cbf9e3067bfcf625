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
import { shareWithGrpc } from '../grpc/port-sharing.js';
import { buildApp } from '../http/app.js';
import { autoMaxConnections } from '../http/connection-limits.js';
import { limitsFor } from '../http/limits.js';
import type { MemberConfig, TlsFiles } from '../server/config.js';
import { RANGE_BYTES_IN_FLIGHT_FACTOR, requestTimeoutMs } from '../server/config.js';
import { silentLogger, type Logger } from '../server/logger.js';
import { Member, type MemberOptions } from '../server/member.js';
import { CAIRN_VERSION, MemberService } from '../server/service.js';
import { openDataDir, type DataDir } from '../storage/data-dir.js';
import type { DataDirWarning } from '../storage/data-dir-files.js';
import { LevelKv } from '../storage/level-kv.js';
import { addAccessLog } from './access-log.js';
import { createLogger } from './log.js';
import { listenMetrics } from './metrics-listener.js';
import { openFileLimit } from './open-file-limit.js';
import { openTestDataDir, testHooksRequested } from './test-hooks.js';
import { TcpTransport } from '../transport/tcp-transport.js';
import type { PeerTlsOptions } from '../transport/dial.js';
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

function peerTls(files: TlsFiles): PeerTlsOptions | undefined {
  if (files.certFile === '') return undefined;
  return {
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    ...(files.trustedCaFile !== '' ? { ca: readFileSync(files.trustedCaFile) } : {}),
    requestCert: files.clientCertAuth,
    rejectUnauthorized: files.trustedCaFile !== '',
  };
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

export async function startServer(config: MemberConfig, o: StartServerOptions = {}): Promise<RunningServer> {
  const log: Logger = o.logger === false ? silentLogger : (o.logger ?? createLogger({ level: config.logLevel, name: config.name, outputs: o.logOutputs }));
  for (const warning of o.warnings ?? []) log.warn({}, warning);
  const dataDir = await openMemberDataDir(config.dataDir, (fields, msg) => log.warn(fields, msg));
  const clock = new SystemClock();
  const rng = new SeededRng(randomInt(2 ** 31));
  const member = await startMember({
    config,
    dataDir,
    clock,
    rng,
    logger: log,
    transport: (handler, ids) =>
      new TcpTransport({
        id: ids.memberId,
        clusterId: ids.clusterId.toString(16),
        listenUrl: config.listenPeerUrls[0] as string,
        handler,
        tls: peerTls(config.peerTls),
        clock,
        rng,
        log: (e) => log[e.level]({ peer: e.peer?.toString(16), err: e.error?.message }, e.msg),
      }),
  });
  const service = new MemberService(member);
  // process_* and nodejs_* (etcd's dashboards read process_resident_memory_bytes and friends).
  collectDefaultMetrics({ register: member.metrics.registry });
  // One budget for every client listener and the gRPC API: the bound is the member's.
  const rangeBudget = new ByteBudget(RANGE_BYTES_IN_FLIGHT_FACTOR * config.maxResponseBytes);
  const version = { etcdserver: SERVER_VERSION, etcdcluster: CLUSTER_VERSION };
  const apps: FastifyInstance[] = [];
  const clientUrls: string[] = [];
  const metricsUrls: string[] = [];
  const maxConnections = config.maxConnections > 0 ? config.maxConnections : autoMaxConnections(openFileLimit());
  // etcd serves its gRPC API and the JSON gateway on the same client URLs.
  const grpc: GrpcServer = createGrpcServer(service, limitsFor(config.maxRequestBytes), rangeBudget, member.metrics.registry, {
    keepaliveIntervalMs: config.grpcKeepaliveIntervalMs,
    keepaliveTimeoutMs: config.grpcKeepaliveTimeoutMs,
    electionTimeoutMs: config.electionTimeoutMs,
  });
  const closeClients = async (): Promise<void> => {
    grpc.close();
    for (const app of apps.splice(0)) await app.close();
  };
  try {
    for (const raw of config.listenClientUrls) {
      const url = new URL(raw);
      if (url.protocol === 'https:') throw new Error(`--listen-client-urls ${raw}: TLS for client URLs is not supported yet`);
      const app = buildApp({
        service,
        maxRequestBytes: config.maxRequestBytes,
        rangeBudget,
        registry: member.metrics.registry,
        cors: config.cors,
        version,
        healthTimeoutMs: requestTimeoutMs(config),
        connectionLimits: { maxConnections },
        warn: (fields, msg) => log.warn(fields, msg),
      });
      if (config.logLevel === 'debug') addAccessLog(app, log);
      shareWithGrpc(app.server, (socket) => grpc.injectConnection(socket));
      const address = await app.listen({ host: url.hostname, port: Number(url.port) });
      apps.push(app);
      clientUrls.push(address);
    }
    const metrics = await listenMetrics(o.metricsUrls ?? [], { service, registry: member.metrics.registry, version, healthTimeoutMs: requestTimeoutMs(config) });
    apps.push(...metrics.apps);
    metricsUrls.push(...metrics.urls);
  } catch (err) {
    await closeClients();
    await member.stop();
    throw err;
  }
  log.info({ clientUrls, version: CAIRN_VERSION, maxConnections }, 'serving client requests');
  return {
    member,
    clientUrls,
    metricsUrls,
    removed: member.whenRemoved(),
    failed: member.whenFailed(),
    closeClients,
    stop: async () => {
      await closeClients();
      await member.stop();
    },
  };
}
