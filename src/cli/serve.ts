/**
 * `cairn serve`: one member as a process. Flags → LevelDB data dir → TCP peer transport →
 * member → etcd's HTTP gateway on each client URL. SIGINT/SIGTERM stop it cleanly; a second
 * signal exits at once.
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics } from 'prom-client';
import { buildApp } from '../http/app.js';
import type { MemberConfig, TlsFiles } from '../server/config.js';
import { silentLogger, type Logger } from '../server/logger.js';
import { addAccessLog } from './access-log.js';
import { createLogger } from './log.js';
import { listenMetrics } from './metrics-listener.js';
import { requestTimeoutMs } from '../server/config.js';
import { Member } from '../server/member.js';
import { CAIRN_VERSION, MemberService } from '../server/service.js';
import { CLUSTER_VERSION, SERVER_VERSION } from '../util/version.js';
import { levelLocation, openDataDir, type DataDir } from '../storage/data-dir.js';
import { LevelKv } from '../storage/level-kv.js';
import { openTestDataDir, testHooksRequested } from './test-hooks.js';
import { TcpTransport } from '../transport/tcp-transport.js';
import type { PeerTlsOptions } from '../transport/dial.js';
import { SystemClock } from '../util/clock.js';
import { SeededRng } from '../util/rng.js';

export interface RunningServer {
  readonly member: Member;
  readonly clientUrls: string[];
  /** Where `--listen-metrics-urls` listeners are bound. */
  readonly metricsUrls: string[];
  /** Resolves when the member learns it was removed from the cluster. */
  readonly removed: Promise<void>;
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
  // TEST ONLY (test/chaos): CAIRN_TEST_DISK / CAIRN_TEST_SYNC_DELAY_* select a power-loss or slow disk.
  const dataDir: DataDir = testHooksRequested()
    ? await openTestDataDir(config.dataDir, (dir) => LevelKv.open(levelLocation(dir), dir))
    : await openDataDir(config.dataDir);
  const clock = new SystemClock();
  const rng = new SeededRng(randomInt(2 ** 31));
  let member: Member;
  try {
    member = await Member.start({
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
  } catch (err) {
    await dataDir.close().catch(() => undefined);
    throw err;
  }
  const service = new MemberService(member);
  // process_* and nodejs_* (etcd's dashboards read process_resident_memory_bytes and friends).
  collectDefaultMetrics({ register: member.metrics.registry });
  const apps: FastifyInstance[] = [];
  const clientUrls: string[] = [];
  const metricsUrls: string[] = [];
  try {
    for (const raw of config.listenClientUrls) {
      const url = new URL(raw);
      if (url.protocol === 'https:') throw new Error(`--listen-client-urls ${raw}: TLS for client URLs is not supported yet`);
      const app = buildApp({
        service,
        maxRequestBytes: config.maxRequestBytes,
        registry: member.metrics.registry,
        cors: config.cors,
        version: { etcdserver: SERVER_VERSION, etcdcluster: CLUSTER_VERSION },
        healthTimeoutMs: requestTimeoutMs(config),
      });
      if (config.logLevel === 'debug') addAccessLog(app, log);
      const address = await app.listen({ host: url.hostname, port: Number(url.port) });
      apps.push(app);
      clientUrls.push(address);
    }
    const version = { etcdserver: SERVER_VERSION, etcdcluster: CLUSTER_VERSION };
    const metrics = await listenMetrics(o.metricsUrls ?? [], { service, registry: member.metrics.registry, version, healthTimeoutMs: requestTimeoutMs(config) });
    apps.push(...metrics.apps);
    metricsUrls.push(...metrics.urls);
  } catch (err) {
    for (const app of apps) await app.close();
    await member.stop();
    throw err;
  }
  log.info({ clientUrls, version: CAIRN_VERSION }, 'serving client requests');
  return {
    member,
    clientUrls,
    metricsUrls,
    removed: member.whenRemoved(),
    stop: async () => {
      for (const app of apps) await app.close();
      await member.stop();
    },
  };
}
