import { describe, expect, it } from 'vitest';
import { parseServeFlags } from '../../src/cli/serve-flags.js';
import { FlagError, parseFlags } from '../../src/cli/flags.js';
import { isKvError } from '../../src/util/errors.js';
import { parseDurationMs, parseRetentionMs, requestTimeoutMs } from '../../src/server/config.js';

const threeMemberArgs = [
  '--name', 'infra1',
  '--listen-client-urls', 'http://127.0.0.1:2379',
  '--advertise-client-urls', 'http://127.0.0.1:2379',
  '--listen-peer-urls', 'http://127.0.0.1:12380',
  '--initial-advertise-peer-urls', 'http://127.0.0.1:12380',
  '--initial-cluster-token', 'etcd-cluster-1',
  '--initial-cluster', 'infra1=http://127.0.0.1:12380,infra2=http://127.0.0.1:22380,infra3=http://127.0.0.1:32380',
  '--initial-cluster-state', 'new',
];

describe('cairn serve flags', () => {
  it("gives etcd's defaults with no flags", () => {
    const c = parseServeFlags([], {});
    expect(c.name).toBe('default');
    expect(c.dataDir).toBe('default.cairn');
    expect(c.listenClientUrls).toEqual(['http://127.0.0.1:2379']);
    expect(c.heartbeatIntervalMs).toBe(100);
    expect(c.electionTimeoutMs).toBe(1000);
    expect(c.snapshotCount).toBe(100_000);
    expect(c.maxRequestBytes).toBe(1_572_864);
    expect(c.maxTxnOps).toBe(128);
    expect(c.initialClusterToken).toBe('etcd-cluster');
    expect([...c.initialCluster]).toEqual([['default', ['http://127.0.0.1:2380']]]);
    expect(requestTimeoutMs(c)).toBe(7000);
    expect(c.maxConnections).toBe(0); // serve.ts: half of ulimit -n
    expect(parseServeFlags(['--max-connections', '50'], {}).maxConnections).toBe(50);
    expect(parseServeFlags([], { CAIRN_MAX_CONNECTIONS: '7' }).maxConnections).toBe(7);
  });

  it("accepts the Procfile's three-member flags, as etcd does", () => {
    const c = parseServeFlags(threeMemberArgs, {});
    expect(c.name).toBe('infra1');
    expect(c.dataDir).toBe('infra1.cairn');
    expect(c.initialCluster.size).toBe(3);
    expect(c.initialCluster.get('infra3')).toEqual(['http://127.0.0.1:32380']);
    expect(c.initialClusterToken).toBe('etcd-cluster-1');
  });

  it('takes Go-style single-dash and = forms and boolean flags', () => {
    const c = parseServeFlags(['-name=x', '-heartbeat-interval', '50', '--election-timeout=500', '--client-cert-auth'], {});
    expect(c.name).toBe('x');
    expect(c.heartbeatIntervalMs).toBe(50);
    expect(c.electionTimeoutMs).toBe(500);
    expect(c.clientTls.clientCertAuth).toBe(true);
    expect(parseServeFlags(['--client-cert-auth=false'], {}).clientTls.clientCertAuth).toBe(false);
  });

  it('takes --force-new-cluster (off by default) as a flag or CAIRN_FORCE_NEW_CLUSTER', () => {
    expect(parseServeFlags([], {}).forceNewCluster).toBe(false);
    expect(parseServeFlags(['--force-new-cluster'], {}).forceNewCluster).toBe(true);
    expect(parseServeFlags([], { CAIRN_FORCE_NEW_CLUSTER: 'true' }).forceNewCluster).toBe(true);
  });

  it('reads CAIRN_* environment variables and refuses a flag that shadows one', () => {
    const c = parseServeFlags([], { CAIRN_NAME: 'envy', CAIRN_SNAPSHOT_COUNT: '42' });
    expect(c.name).toBe('envy');
    expect(c.snapshotCount).toBe(42);
    expect(() => parseServeFlags(['--name', 'a'], { CAIRN_NAME: 'b' })).toThrow(/CAIRN_NAME.*shadowed/);
  });

  it.each([
    [['--bogus'], /unknown flag: --bogus/],
    [['--heartbeat-interval', 'ten'], /not an integer/],
    [['--name'], /needs an argument/],
    [['--initial-cluster-state', 'old'], /must be one of new, existing/],
    [['--listen-client-urls', 'http://127.0.0.1:1'], /advertise-client-urls is required/],
    [['--log-level', 'loud'], /--log-level/],
    [['stray'], /unexpected argument: stray/],
  ])('rejects bad syntax %j with a one-line FlagError', (argv, message) => {
    expect(() => parseServeFlags(argv, {})).toThrow(FlagError);
    expect(() => parseServeFlags(argv, {})).toThrow(message);
  });

  it.each([
    [['--election-timeout', '400'], /at least as 5 times as --heartbeat-interval/],
    [['--election-timeout', '60000'], /too long/],
    [['--initial-cluster', 'other=http://127.0.0.1:2380'], /no entry for --name=default/],
    [['--initial-cluster', 'default=http://127.0.0.1:9999'], /missing from --initial-advertise-peer-urls/],
    [['--listen-peer-urls', 'ftp://127.0.0.1:2380'], /http:\/\/ or https:\/\//],
    [['--listen-peer-urls', 'https://127.0.0.1:2380'], /no certificate/],
    [['--listen-peer-urls', 'http://127.0.0.1'], /explicit port/],
    [['--listen-peer-urls', 'http://127.0.0.1:2380/raft'], /must not have a path/],
    [['--advertise-client-urls', 'http://127.0.0.1:2379?x=1', '--listen-client-urls', 'http://127.0.0.1:2379'], /query or fragment/],
    [['--auto-compaction-mode', 'revision', '--auto-compaction-retention', '1h'], /number of revisions/],
    [['--auto-compaction-retention', 'soon'], /hours or a duration/],
    [['--max-connections', '-1'], /--max-connections must not be negative/],
  ])('rejects the bad combination %j naming the flag', (argv, message) => {
    let caught: unknown;
    try {
      parseServeFlags(argv, {});
    } catch (err) {
      caught = err;
    }
    expect(isKvError(caught, 'InvalidArgument')).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });
});

describe('flag parser', () => {
  it('stops at -- and keeps positionals', () => {
    const parsed = parseFlags([{ name: 'a', kind: 'int', help: '' }], ['x', '--a=1', '--', '--b'], {}, 'P');
    expect(parsed.values.get('a')).toBe(1);
    expect(parsed.positionals).toEqual(['x', '--b']);
  });
  it('refuses a flag given twice', () => {
    expect(() => parseFlags([{ name: 'a', kind: 'string', help: '' }], ['--a=1', '--a=2'], {}, 'P')).toThrow(/more than once/);
  });
});

describe('durations', () => {
  it('parses Go durations and bare-hour retention', () => {
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('5x')).toBeUndefined();
    expect(parseRetentionMs('2')).toBe(7_200_000);
    expect(parseRetentionMs('30m')).toBe(1_800_000);
  });
});
