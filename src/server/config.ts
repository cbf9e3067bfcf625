/**
 * A member's configuration, with etcd's names, defaults and limits
 * (docs/configuration.md). The CLI parses flags into this; embedders build
 * it directly. `validateConfig` states every cross-flag rule in one place.
 */
import { KvError } from '../util/errors.js';
import { memberUrlProblem } from '../util/member-url.js';
import { unknownCipherSuite } from './cipher-suites.js';

export type ClusterState = 'new' | 'existing';
export type AutoCompactionMode = 'periodic' | 'revision';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'panic' | 'fatal';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly trustedCaFile: string;
  readonly clientCertAuth: boolean;
  /** etcd's --auto-tls / --peer-auto-tls: a self-signed certificate in <data-dir>/fixtures when no cert file is given. */
  readonly autoTls?: boolean;
  /** etcd's --peer-cert-allowed-cn: peers must present a certificate with this CN (peer side only). */
  readonly allowedCn?: string;
}

export type TlsVersion = 'TLS1.2' | 'TLS1.3';

export interface MemberConfig {
  readonly name: string;
  readonly dataDir: string;
  readonly listenClientUrls: readonly string[];
  readonly advertiseClientUrls: readonly string[];
  readonly listenPeerUrls: readonly string[];
  readonly initialAdvertisePeerUrls: readonly string[];
  /** name → peer URLs, from `--initial-cluster a=http://…,b=http://…`. */
  readonly initialCluster: ReadonlyMap<string, readonly string[]>;
  readonly initialClusterState: ClusterState;
  readonly initialClusterToken: string;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  readonly snapshotCount: number;
  /** Entries kept behind a snapshot so slow followers catch up without one (etcd: 5000). */
  readonly snapshotCatchUpEntries: number;
  /** 0 means etcd's default of 2 GiB. */
  readonly quotaBackendBytes: number;
  readonly maxRequestBytes: number;
  readonly maxTxnOps: number;
  /**
   * cairn's --max-response-bytes (etcd has none): the largest range response, in protobuf bytes.
   * The client port holds range responses of at most twice this at once (RANGE_BYTES_IN_FLIGHT_FACTOR).
   */
  readonly maxResponseBytes: number;
  readonly autoCompactionMode: AutoCompactionMode;
  /** Hours for `periodic` (a duration like `5m` is also accepted by the CLI), revisions for `revision`. */
  readonly autoCompactionRetention: string;
  readonly logLevel: LogLevel;
  readonly clientTls: TlsFiles;
  readonly peerTls: TlsFiles;
  /** Origins browsers may call from (etcd's --cors); none by default, `*` only when given. */
  readonly cors: readonly string[];
  /** etcd's --cipher-suites (Go names), for client and peer TLS; empty = Node's defaults. */
  readonly cipherSuites: readonly string[];
  /** etcd's --tls-min-version. */
  readonly tlsMinVersion: TlsVersion;
  /** Host names a plain-HTTP request may carry (etcd's --host-whitelist); empty = loopback names for an all-loopback member, else any. */
  readonly hostWhitelist: readonly string[];
  /**
   * Restart this member's data as a one-member cluster (etcd's --force-new-cluster): the way
   * back from a lost quorum. Ignored for a data dir that has no data yet.
   */
  readonly forceNewCluster: boolean;
  /** Concurrent client connections per listener; 0 picks half the open-file limit (see serve.ts). */
  readonly maxConnections: number;
  /** Serve the web dashboard at /ui on the client URLs (docs/ui.md); `--no-ui` turns it off. */
  readonly ui: boolean;
  /** etcd's --auth-token: `simple` (default) or `jwt,pub-key=…,priv-key=…,sign-method=…[,ttl=…]`. */
  readonly authToken?: string;
  /** etcd's --auth-token-ttl, seconds, for simple tokens (default 300). */
  readonly authTokenTtlSeconds?: number;
  /** etcd's --bcrypt-cost (4–31, default 10), used as scrypt's cost (src/server/auth/password.ts). */
  readonly bcryptCost?: number;
  /** etcd's --grpc-keepalive-min-time: a client pinging more often is sent away (src/grpc/ping-policy.ts). */
  readonly grpcKeepaliveMinTimeMs: number;
  /** etcd's --grpc-keepalive-interval: how often the server pings an idle gRPC connection. */
  readonly grpcKeepaliveIntervalMs: number;
  /** etcd's --grpc-keepalive-timeout: how long a server ping may go unanswered. */
  readonly grpcKeepaliveTimeoutMs: number;
}

export const DEFAULT_QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;
/** 64 MiB: a 100k-key range of 200-byte values is ~22 MiB of protobuf (~63 MiB held). */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** The client port holds at most this many times --max-response-bytes in range responses at once. */
/**
 * The member-wide range budget is this many times --max-response-bytes, counted as memory held
 * (protobuf bytes plus a per-key overhead): 128 MiB by default. Measured with bench:abuse
 * (16 concurrent 100k-key ranges): 4x peaked at 1140 MiB RSS, since encoding doubles what is held.
 */
export const RANGE_BYTES_IN_FLIGHT_FACTOR = 2;
export const MAX_ELECTION_TIMEOUT_MS = 50_000;

const noTls: TlsFiles = { certFile: '', keyFile: '', trustedCaFile: '', clientCertAuth: false };

export function defaultConfig(name = 'default'): MemberConfig {
  return {
    name,
    dataDir: `${name}.cairn`,
    listenClientUrls: ['http://127.0.0.1:2379'],
    advertiseClientUrls: ['http://127.0.0.1:2379'],
    listenPeerUrls: ['http://127.0.0.1:2380'],
    initialAdvertisePeerUrls: ['http://127.0.0.1:2380'],
    initialCluster: new Map([[name, ['http://127.0.0.1:2380']]]),
    initialClusterState: 'new',
    initialClusterToken: 'etcd-cluster',
    heartbeatIntervalMs: 100,
    electionTimeoutMs: 1000,
    snapshotCount: 100_000,
    snapshotCatchUpEntries: 5000,
    quotaBackendBytes: 0,
    maxRequestBytes: 1_572_864,
    maxTxnOps: 128,
    maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
    autoCompactionMode: 'periodic',
    autoCompactionRetention: '0',
    logLevel: 'info',
    clientTls: noTls,
    peerTls: noTls,
    cors: [],
    cipherSuites: [],
    tlsMinVersion: 'TLS1.2',
    hostWhitelist: [],
    forceNewCluster: false,
    maxConnections: 0,
    ui: true,
    // etcd's defaults: 5s, 2h, 20s.
    grpcKeepaliveMinTimeMs: 5_000,
    grpcKeepaliveIntervalMs: 2 * 60 * 60 * 1000,
    grpcKeepaliveTimeoutMs: 20_000,
  };
}

/** The server-side request timeout etcd uses: 5 s + 2 × election timeout. */
export function requestTimeoutMs(config: Pick<MemberConfig, 'electionTimeoutMs'>): number {
  return 5000 + 2 * config.electionTimeoutMs;
}

export function effectiveQuotaBytes(config: Pick<MemberConfig, 'quotaBackendBytes'>): number {
  return config.quotaBackendBytes > 0 ? config.quotaBackendBytes : DEFAULT_QUOTA_BACKEND_BYTES;
}

function invalid(message: string): KvError {
  return new KvError('InvalidArgument', message);
}

function checkUrls(flag: string, urls: readonly string[], tls: TlsFiles): void {
  if (urls.length === 0) throw invalid(`--${flag} must not be empty`);
  for (const raw of urls) {
    const problem = memberUrlProblem(raw);
    if (problem !== undefined) throw invalid(`--${flag}: "${raw}" ${problem}`);
    if (new URL(raw).protocol === 'https:' && (tls.certFile === '' || tls.keyFile === '') && tls.autoTls !== true) {
      throw invalid(`--${flag}: "${raw}" is https but no certificate and key were given`);
    }
  }
}

/** Throws KvError('InvalidArgument') with a one-line message naming the flag at fault. */
export function validateConfig(c: MemberConfig): MemberConfig {
  if (c.name === '') throw invalid('--name must not be empty');
  if (c.dataDir === '') throw invalid('--data-dir must not be empty');
  checkUrls('listen-client-urls', c.listenClientUrls, c.clientTls);
  checkUrls('advertise-client-urls', c.advertiseClientUrls, c.clientTls);
  checkUrls('listen-peer-urls', c.listenPeerUrls, c.peerTls);
  checkUrls('initial-advertise-peer-urls', c.initialAdvertisePeerUrls, c.peerTls);
  if (c.heartbeatIntervalMs <= 0) throw invalid('--heartbeat-interval must be positive');
  if (c.electionTimeoutMs < 5 * c.heartbeatIntervalMs) {
    throw invalid(
      `--election-timeout[${c.electionTimeoutMs}ms] should be at least as 5 times as --heartbeat-interval[${c.heartbeatIntervalMs}ms]`,
    );
  }
  if (c.electionTimeoutMs > MAX_ELECTION_TIMEOUT_MS) {
    throw invalid(`--election-timeout[${c.electionTimeoutMs}ms] is too long, and should be set less than ${MAX_ELECTION_TIMEOUT_MS}ms`);
  }
  if (c.snapshotCount <= 0) throw invalid('--snapshot-count must be positive');
  if (c.maxRequestBytes <= 0) throw invalid('--max-request-bytes must be positive');
  if (c.maxTxnOps <= 0) throw invalid('--max-txn-ops must be positive');
  if (!Number.isSafeInteger(c.maxResponseBytes) || c.maxResponseBytes <= 0) throw invalid('--max-response-bytes must be positive');
  if (c.quotaBackendBytes < 0) throw invalid('--quota-backend-bytes must not be negative');
  if (c.maxConnections < 0) throw invalid('--max-connections must not be negative');
  // 0 disables the server's pings, as in etcd.
  if (c.grpcKeepaliveMinTimeMs < 0 || c.grpcKeepaliveIntervalMs < 0 || c.grpcKeepaliveTimeoutMs < 0) {
    throw invalid('--grpc-keepalive-min-time, --grpc-keepalive-interval and --grpc-keepalive-timeout must not be negative');
  }
  if (c.initialCluster.size === 0) throw invalid('--initial-cluster must name at least one member');
  const own = c.initialCluster.get(c.name);
  if (own === undefined) {
    throw invalid(`--initial-cluster has no entry for --name=${c.name}`);
  }
  const advertised = new Set(c.initialAdvertisePeerUrls.map((u) => new URL(u).href));
  for (const u of own) {
    if (!advertised.has(new URL(u).href)) {
      throw invalid(
        `--initial-cluster has ${c.name}=${u} but missing from --initial-advertise-peer-urls=${c.initialAdvertisePeerUrls.join(',')}`,
      );
    }
  }
  const unknownSuite = unknownCipherSuite(c.cipherSuites);
  if (unknownSuite !== undefined) throw invalid(`unexpected TLS cipher suite ${JSON.stringify(unknownSuite)}`);
  if (c.cipherSuites.length > 0 && c.tlsMinVersion === 'TLS1.3') throw invalid('TLS 1.3 cipher suites are not configurable: --cipher-suites cannot be used with --tls-min-version=TLS1.3');
  if ((c.clientTls.certFile === '') !== (c.clientTls.keyFile === '')) throw invalid('--cert-file and --key-file must be given together');
  if ((c.peerTls.certFile === '') !== (c.peerTls.keyFile === '')) throw invalid('--peer-cert-file and --peer-key-file must be given together');
  for (const origin of c.cors) {
    if (origin !== '*' && !/^https?:\/\/[^/]+$/.test(origin)) throw invalid(`--cors: "${origin}" is not an origin like http://host:port, or *`);
  }
  for (const [member, urls] of c.initialCluster) checkUrls(`initial-cluster (${member})`, urls, c.peerTls);
  if (c.autoCompactionMode === 'revision' && !/^\d+$/.test(c.autoCompactionRetention)) {
    throw invalid(`--auto-compaction-retention=${c.autoCompactionRetention} must be a number of revisions in revision mode`);
  }
  if (c.autoCompactionMode === 'periodic' && parseRetentionMs(c.autoCompactionRetention) === undefined) {
    throw invalid(`--auto-compaction-retention=${c.autoCompactionRetention} must be hours or a duration like 30m`);
  }
  return c;
}

/** Periodic retention: a bare number is hours (etcd), else a Go-style duration (`90s`, `5m`, `1h30m`). */
export function parseRetentionMs(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 3_600_000;
  return parseDurationMs(text);
}

export function parseDurationMs(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * (unit[m[2] as string] as number);
    consumed += m[0].length;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}
