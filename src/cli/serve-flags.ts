/**
 * `cairn serve` flags: etcd's names and defaults, parsed into a MemberConfig.
 * Env: `CAIRN_<FLAG>` (e.g. `CAIRN_INITIAL_CLUSTER`).
 */
import { defaultConfig, validateConfig, type MemberConfig, type TlsFiles } from '../server/config.js';
import { soleMemberCluster } from '../server/config-complete.js';
import { parseGoDuration } from './commands/duration.js';
import { FlagError, parseFlags, type FlagSpec, type FlagValue } from './flags.js';
import { PROCESS_FLAGS } from './process-flags.js';

export const SERVE_FLAGS: readonly FlagSpec[] = [
  { name: 'name', kind: 'string', help: 'human-readable name for this member' },
  { name: 'data-dir', kind: 'string', help: 'path to the data directory (default "${name}.cairn")' },
  { name: 'listen-client-urls', kind: 'list', help: 'URLs to listen on for client traffic' },
  { name: 'advertise-client-urls', kind: 'list', help: "this member's client URLs to advertise to the cluster" },
  { name: 'listen-peer-urls', kind: 'list', help: 'URLs to listen on for peer traffic' },
  { name: 'initial-advertise-peer-urls', kind: 'list', help: "this member's peer URLs to advertise to the cluster" },
  { name: 'initial-cluster', kind: 'list', help: 'initial cluster configuration for bootstrapping (name=url,...)' },
  { name: 'initial-cluster-state', kind: 'string', help: "initial cluster state ('new' or 'existing')" },
  { name: 'initial-cluster-token', kind: 'string', help: 'initial cluster token for the cluster during bootstrap' },
  { name: 'heartbeat-interval', kind: 'int', help: 'time (in milliseconds) of a heartbeat interval' },
  { name: 'election-timeout', kind: 'int', help: 'time (in milliseconds) for an election to timeout' },
  { name: 'snapshot-count', kind: 'int', help: 'number of committed transactions to trigger a snapshot to disk' },
  { name: 'quota-backend-bytes', kind: 'int', help: 'raise alarms when backend size exceeds the given quota (0 defaults to 2 GiB)' },
  { name: 'max-request-bytes', kind: 'int', help: 'maximum client request size in bytes the server will accept' },
  { name: 'max-txn-ops', kind: 'int', help: 'maximum number of operations permitted in a transaction' },
  { name: 'max-response-bytes', kind: 'int', help: 'maximum range response size in bytes the server will send (cairn only)' },
  { name: 'auto-compaction-mode', kind: 'string', help: "interpret 'auto-compaction-retention' as 'periodic' or 'revision'" },
  { name: 'auto-compaction-retention', kind: 'string', help: 'auto compaction retention (0 = off); hours or duration for periodic' },
  { name: 'log-level', kind: 'string', help: 'debug, info, warn, error, panic, or fatal' },
  { name: 'cert-file', kind: 'string', help: 'path to the client server TLS cert file' },
  { name: 'key-file', kind: 'string', help: 'path to the client server TLS key file' },
  { name: 'trusted-ca-file', kind: 'string', help: 'path to the client server TLS trusted CA cert file' },
  { name: 'client-cert-auth', kind: 'bool', help: 'enable client cert authentication' },
  { name: 'auto-tls', kind: 'bool', help: 'client TLS using generated certificates' },
  { name: 'cipher-suites', kind: 'list', help: 'comma-separated list of supported TLS cipher suites between client/server and peers (empty will be auto-populated by Node)' },
  { name: 'tls-min-version', kind: 'string', help: "minimum TLS version supported by etcd ('TLS1.2' or 'TLS1.3')" },
  { name: 'peer-cert-file', kind: 'string', help: 'path to the peer server TLS cert file' },
  { name: 'peer-key-file', kind: 'string', help: 'path to the peer server TLS key file' },
  { name: 'peer-trusted-ca-file', kind: 'string', help: 'path to the peer server TLS trusted CA file' },
  { name: 'peer-client-cert-auth', kind: 'bool', help: 'enable peer client cert authentication' },
  { name: 'peer-auto-tls', kind: 'bool', help: 'peer TLS using generated certificates' },
  { name: 'peer-cert-allowed-cn', kind: 'string', help: 'allowed CN for inter peer authentication' },
  { name: 'cors', kind: 'list', help: 'comma-separated whitelist of origins for CORS (none by default; * allows any)' },
  {
    name: 'host-whitelist',
    kind: 'list',
    help: 'acceptable hostnames from HTTP client requests (default: loopback names when listening on loopback only, else *)',
  },
  { name: 'auth-token', kind: 'string', help: "specify auth token type and options ('simple' or 'jwt,pub-key=…,priv-key=…,sign-method=…,ttl=…')" },
  { name: 'auth-token-ttl', kind: 'int', help: 'the lifetime in seconds of the simple auth token (default 300)' },
  { name: 'bcrypt-cost', kind: 'int', help: 'cost of hashing passwords (4-31, default 10; cairn uses it as scrypt cost 2^(cost+4))' },
  { name: 'force-new-cluster', kind: 'bool', help: "force to create a new one member cluster from this member's data (quorum loss recovery)" },
  {
    name: 'max-connections',
    kind: 'int',
    help: 'maximum concurrent client connections per listener, further ones are closed at once (0 = half of ulimit -n, at most 4096)',
  },
  { name: 'no-ui', kind: 'bool', help: 'do not serve the web dashboard at /ui on the client URLs (cairn only)' },
  { name: 'grpc-keepalive-min-time', kind: 'string', help: 'minimum interval duration that a client should wait before pinging server (5s)' },
  { name: 'grpc-keepalive-interval', kind: 'string', help: 'frequency duration of server-to-client ping to check if a connection is alive (0 to disable) (2h0m0s)' },
  { name: 'grpc-keepalive-timeout', kind: 'string', help: 'additional duration of wait before closing a non-responsive connection (0 to disable) (20s)' },
  ...PROCESS_FLAGS,
];

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'panic', 'fatal'] as const;

/** Only the auth flags given: MemberConfig leaves them optional, defaulted in server/auth. */
function authFlags(values: Map<string, FlagValue>): Pick<MemberConfig, 'authToken' | 'authTokenTtlSeconds' | 'bcryptCost'> {
  const authToken = pick<string>(values, 'auth-token');
  const authTokenTtlSeconds = pick<number>(values, 'auth-token-ttl');
  const bcryptCost = pick<number>(values, 'bcrypt-cost');
  return {
    ...(authToken === undefined ? {} : { authToken }),
    ...(authTokenTtlSeconds === undefined ? {} : { authTokenTtlSeconds }),
    ...(bcryptCost === undefined ? {} : { bcryptCost }),
  };
}

function pick<T extends FlagValue>(values: Map<string, FlagValue>, name: string): T | undefined {
  return values.get(name) as T | undefined;
}

/** A Go duration flag (`5s`, `2h0m0s`, `1m30s`) in milliseconds. */
function durationMs(values: Map<string, FlagValue>, name: string): number | undefined {
  const text = pick<string>(values, name);
  if (text === undefined) return undefined;
  try {
    return parseGoDuration(text, name);
  } catch {
    throw new FlagError(`invalid value "${text}" for flag -${name}: time: invalid duration "${text}"`);
  }
}

export function parseInitialCluster(entries: readonly string[]): Map<string, string[]> {
  const cluster = new Map<string, string[]>();
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0 || eq === entry.length - 1) {
      throw new FlagError(`--initial-cluster: "${entry}" is not name=peerURL`);
    }
    const name = entry.slice(0, eq);
    const urls = cluster.get(name) ?? [];
    urls.push(entry.slice(eq + 1));
    cluster.set(name, urls);
  }
  return cluster;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new FlagError(`invalid value "${value}" for --${flag}: must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function tls(values: Map<string, FlagValue>, prefix: '' | 'peer-', fallback: TlsFiles): TlsFiles {
  return {
    certFile: pick<string>(values, `${prefix}cert-file`) ?? fallback.certFile,
    keyFile: pick<string>(values, `${prefix}key-file`) ?? fallback.keyFile,
    trustedCaFile: pick<string>(values, `${prefix}trusted-ca-file`) ?? fallback.trustedCaFile,
    clientCertAuth: pick<boolean>(values, `${prefix}client-cert-auth`) ?? fallback.clientCertAuth,
    autoTls: pick<boolean>(values, `${prefix}auto-tls`) ?? fallback.autoTls ?? false,
    ...(prefix === 'peer-' ? { allowedCn: pick<string>(values, 'peer-cert-allowed-cn') ?? fallback.allowedCn ?? '' } : {}),
  };
}

/** Throws FlagError (bad syntax) or KvError('InvalidArgument') (bad combination); the CLI exits 2 on both. */
export function parseServeFlags(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): MemberConfig {
  const { values, positionals } = parseFlags(SERVE_FLAGS, argv, env, 'CAIRN');
  if (positionals.length > 0) throw new FlagError(`unexpected argument: ${positionals[0]}`);
  const name = pick<string>(values, 'name') ?? 'default';
  const d = defaultConfig(name);
  const listenClient = pick<string[]>(values, 'listen-client-urls');
  const advertiseClient = pick<string[]>(values, 'advertise-client-urls');
  // etcd refuses a custom client listener with the default advertised URL: clients would be sent elsewhere.
  if (listenClient !== undefined && advertiseClient === undefined) {
    throw new FlagError('--advertise-client-urls is required when --listen-client-urls is set explicitly');
  }
  const peerUrls = pick<string[]>(values, 'initial-advertise-peer-urls') ?? d.initialAdvertisePeerUrls;
  const initialCluster = pick<string[]>(values, 'initial-cluster');
  return validateConfig({
    ...d,
    dataDir: pick<string>(values, 'data-dir') ?? d.dataDir,
    listenClientUrls: listenClient ?? d.listenClientUrls,
    advertiseClientUrls: advertiseClient ?? d.advertiseClientUrls,
    listenPeerUrls: pick<string[]>(values, 'listen-peer-urls') ?? d.listenPeerUrls,
    initialAdvertisePeerUrls: peerUrls,
    initialCluster: initialCluster !== undefined ? parseInitialCluster(initialCluster) : soleMemberCluster(name, peerUrls),
    initialClusterState: oneOf('initial-cluster-state', pick(values, 'initial-cluster-state'), ['new', 'existing'], 'new'),
    initialClusterToken: pick<string>(values, 'initial-cluster-token') ?? d.initialClusterToken,
    heartbeatIntervalMs: pick<number>(values, 'heartbeat-interval') ?? d.heartbeatIntervalMs,
    electionTimeoutMs: pick<number>(values, 'election-timeout') ?? d.electionTimeoutMs,
    snapshotCount: pick<number>(values, 'snapshot-count') ?? d.snapshotCount,
    quotaBackendBytes: pick<number>(values, 'quota-backend-bytes') ?? d.quotaBackendBytes,
    maxRequestBytes: pick<number>(values, 'max-request-bytes') ?? d.maxRequestBytes,
    maxTxnOps: pick<number>(values, 'max-txn-ops') ?? d.maxTxnOps,
    maxResponseBytes: pick<number>(values, 'max-response-bytes') ?? d.maxResponseBytes,
    autoCompactionMode: oneOf('auto-compaction-mode', pick(values, 'auto-compaction-mode'), ['periodic', 'revision'], 'periodic'),
    autoCompactionRetention: pick<string>(values, 'auto-compaction-retention') ?? d.autoCompactionRetention,
    logLevel: oneOf('log-level', pick(values, 'log-level'), LOG_LEVELS, 'info'),
    clientTls: tls(values, '', d.clientTls),
    peerTls: tls(values, 'peer-', d.peerTls),
    cors: pick<string[]>(values, 'cors') ?? d.cors,
    hostWhitelist: pick<string[]>(values, 'host-whitelist') ?? d.hostWhitelist,
    cipherSuites: pick<string[]>(values, 'cipher-suites') ?? d.cipherSuites,
    tlsMinVersion: oneOf('tls-min-version', pick(values, 'tls-min-version'), ['TLS1.2', 'TLS1.3'], d.tlsMinVersion),
    forceNewCluster: pick<boolean>(values, 'force-new-cluster') ?? d.forceNewCluster,
    maxConnections: pick<number>(values, 'max-connections') ?? d.maxConnections,
    ui: pick<boolean>(values, 'no-ui') === true ? false : d.ui,
    ...authFlags(values),
    grpcKeepaliveMinTimeMs: durationMs(values, 'grpc-keepalive-min-time') ?? d.grpcKeepaliveMinTimeMs,
    grpcKeepaliveIntervalMs: durationMs(values, 'grpc-keepalive-interval') ?? d.grpcKeepaliveIntervalMs,
    grpcKeepaliveTimeoutMs: durationMs(values, 'grpc-keepalive-timeout') ?? d.grpcKeepaliveTimeoutMs,
  });
}
