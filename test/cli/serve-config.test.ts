/**
 * etcd's process flags and config file: `--config-file` (etcd's YAML keys; when given, flags
 * and environment are ignored, as in etcd 3.4), `--logger`, `--log-outputs`, `--enable-v2`,
 * and `--listen-metrics-urls` serving /metrics and /health.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FlagError } from '../../src/cli/flags.js';
import { resolveServeSetup } from '../../src/cli/serve-config.js';
import { startServer } from '../../src/cli/serve.js';
import { completeConfig } from '../../src/server/config-complete.js';
import { freePort } from '../e2e/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'cairn-conf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ETCD_CONF = `# as etcd's etcd.conf.yml.sample writes it
name: 'infra1'
data-dir: /var/lib/etcd/infra1
wal-dir:
snapshot-count: 10000
heartbeat-interval: 100
election-timeout: 1000
quota-backend-bytes: 0
listen-peer-urls: http://10.0.0.1:2380
listen-client-urls: http://10.0.0.1:2379,http://127.0.0.1:2379
max-snapshots: 5
advertise-client-urls: http://10.0.0.1:2379
initial-advertise-peer-urls: http://10.0.0.1:2380
initial-cluster: infra1=http://10.0.0.1:2380,infra2=http://10.0.0.2:2380
initial-cluster-token: 'etcd-cluster'
initial-cluster-state: 'new'
strict-reconfig-check: false
enable-v2: true
client-transport-security:
  cert-file:
  key-file:
  client-cert-auth: false
  auto-tls: false
peer-transport-security:
  cert-file: /etc/etcd/peer.crt
  key-file: /etc/etcd/peer.key
  client-cert-auth: true
  trusted-ca-file: /etc/etcd/ca.crt
log-level: debug
logger: zap
log-outputs: [stderr]
auto-compaction-mode: revision
auto-compaction-retention: "1000"
`;

describe('--config-file', () => {
  const file = join(dir, 'etcd.conf.yml');
  writeFileSync(file, ETCD_CONF);

  it('reads etcd\'s YAML keys, TLS sections included', () => {
    const { config, process } = resolveServeSetup(['--config-file', file], {});
    expect(config).toMatchObject({
      name: 'infra1', dataDir: '/var/lib/etcd/infra1', snapshotCount: 10000, heartbeatIntervalMs: 100, electionTimeoutMs: 1000,
      listenClientUrls: ['http://10.0.0.1:2379', 'http://127.0.0.1:2379'], initialClusterState: 'new', logLevel: 'debug',
      autoCompactionMode: 'revision', autoCompactionRetention: '1000',
      peerTls: { certFile: '/etc/etcd/peer.crt', keyFile: '/etc/etcd/peer.key', trustedCaFile: '/etc/etcd/ca.crt', clientCertAuth: true },
    });
    expect(config.initialCluster).toEqual(new Map([['infra1', ['http://10.0.0.1:2380']], ['infra2', ['http://10.0.0.2:2380']]]));
    expect(process.logOutputs).toEqual(['stderr']);
    expect(process.warnings.join('\n')).toContain('max-snapshots');
    expect(process.warnings.join('\n')).toContain('does not serve the etcd v2 API');
    // Empty or false values (wal-dir, strict-reconfig-check, auto-tls) are "not set", not warnings.
    expect(process.warnings.join('\n')).not.toMatch(/wal-dir|strict-reconfig-check|auto-tls/);
  });

  it('ignores other flags and CAIRN_* variables, as etcd does, and says so', () => {
    const viaFlag = resolveServeSetup([`--config-file=${file}`, '--name', 'other', '--snapshot-count', '5'], { CAIRN_DATA_DIR: '/elsewhere' });
    expect(viaFlag.config.name).toBe('infra1');
    expect(viaFlag.config.snapshotCount).toBe(10000);
    expect(viaFlag.config.dataDir).toBe('/var/lib/etcd/infra1');
    expect(viaFlag.process.warnings[0]).toMatch(/other command-line flags and environment variables are ignored.*--name.*--snapshot-count.*CAIRN_DATA_DIR/);
    expect(resolveServeSetup([], { CAIRN_CONFIG_FILE: file }).config.name).toBe('infra1');
  });

  it('refuses a file that is not YAML or a value of the wrong shape', () => {
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'name: [a\n');
    expect(() => resolveServeSetup(['--config-file', bad], {})).toThrow(FlagError);
    writeFileSync(bad, 'name: {a: 1}\n');
    expect(() => resolveServeSetup(['--config-file', bad], {})).toThrow(/"name" must be a scalar/);
    writeFileSync(bad, 'heartbeat-interval: soon\n');
    expect(() => resolveServeSetup(['--config-file', bad], {})).toThrow(/not an integer/);
  });
});

describe('process flags', () => {
  it('accepts --logger zap|capnslog, --log-outputs, --enable-v2 (with a warning)', () => {
    const { process } = resolveServeSetup(['--logger=capnslog', '--log-outputs', 'stdout,/tmp/x.log', '--enable-v2'], {});
    expect(process.logOutputs).toEqual(['stdout', '/tmp/x.log']);
    expect(process.warnings).toHaveLength(2);
    expect(() => resolveServeSetup(['--logger=logrus'], {})).toThrow(/--logger: must be zap or capnslog/);
    expect(() => resolveServeSetup(['--listen-metrics-urls', 'https://127.0.0.1:1'], {})).toThrow(/only http/);
  });

  it('--listen-metrics-urls serves /metrics and /health there, and nothing of the gateway', async () => {
    const [client, peer, metrics] = [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`];
    const config = completeConfig({ dataDir: join(dir, 'm'), listenClientUrls: [client], advertiseClientUrls: [client], listenPeerUrls: [peer], initialAdvertisePeerUrls: [peer], heartbeatIntervalMs: 10, electionTimeoutMs: 100 });
    const server = await startServer(config, { logger: false, metricsUrls: [metrics] });
    try {
      expect(server.metricsUrls).toEqual([metrics]);
      const deadline = Date.now() + 10_000;
      while ((await fetch(`${metrics}/health`)).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await (await fetch(`${metrics}/health`)).json()).toMatchObject({ health: 'true' });
      expect(await (await fetch(`${metrics}/metrics`)).text()).toMatch(/^etcd_server_has_leader 1$/m);
      expect((await fetch(`${metrics}/v3/kv/range`, { method: 'POST', body: '{}' })).status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});
