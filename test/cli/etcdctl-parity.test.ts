/**
 * cairn's client commands against etcdctl 3.4: exit codes (etcdctl's ExitError/ExitBadArgs/…),
 * group help, and the JSON field names of `txn -w json` and `endpoint hashkv -w json`. The
 * expected codes are etcdctl 3.4.23's, observed; where etcdctl (and etcd) are installed the
 * same commands run against them too, so the table cannot drift from etcdctl's behaviour.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/commands/run-cli.js';
import { hasEtcd as etcdInstalled, startEtcd, type RealEtcd } from '../compat/real-etcd.js';
import { freePort } from '../e2e/processes.js';
import { startCliNode, type CliNode } from './commands-node.js';

const hasEtcdctl = spawnSync('etcdctl', ['version'], { encoding: 'utf8' }).stdout?.includes('3.4') === true;
const hasEtcd = etcdInstalled();
if (!hasEtcdctl) console.warn('etcdctl-parity: etcdctl 3.4 is not installed; comparing with the recorded exit codes only');
if (!hasEtcd) console.warn('etcdctl-parity: etcd is not installed; skipping the JSON comparison against a real etcd');

/** Commands that fail before any request, with etcdctl 3.4.23's exit code; stdin in the third column. */
const EXIT_CODES: readonly (readonly [string[], number, string] | readonly [string[], number])[] = [
  [['get'], 128],
  [['get', 'foo', '--bogus'], 1],
  [['get', 'foo', '--consistency=x'], 4],
  [['get', 'foo', '--order=x'], 4],
  [['get', 'foo', '--sort-by=x'], 4],
  [['get', 'foo', '--prefix', '--from-key'], 128],
  [['-w', 'bogus', 'get', 'foo'], 4],
  [['compaction'], 128],
  [['compaction', 'abc'], 1],
  [['member', 'remove', 'zz'], 128],
  [['lease', 'revoke', 'zz'], 128],
  [['lease', 'grant'], 128],
  [['lease', 'grant', 'abc'], 128],
  [['watch'], 128],
  [['watch', 'foo', 'bar', '--prefix'], 128],
  [['put'], 128],
  [['snapshot', 'save'], 128],
  [['txn'], 3, 'bad cmp\n\n\n'],
  [['bogus'], 1],
  [['lease'], 0],
  [['lease', '--help'], 0],
];

async function deadEndpoint(): Promise<string> {
  return `127.0.0.1:${await freePort()}`;
}

describe('exit codes, as etcdctl 3.4', () => {
  it.each(EXIT_CODES)('cairn %j exits %i', async (...[argv, code, stdin]: readonly [string[], number, string?]) => {
    const r = await runCli(['--endpoints', await deadEndpoint(), '--command-timeout=1s', ...argv], { stdin: stdin ?? '' });
    expect(r.code, r.stderr).toBe(code);
  });

  it.skipIf(!hasEtcdctl)('etcdctl gives the same codes (the table is etcdctl\'s)', async () => {
    const endpoint = await deadEndpoint();
    for (const [argv, code, stdin] of EXIT_CODES) {
      const r = spawnSync('etcdctl', [`--endpoints=${endpoint}`, '--command-timeout=1s', '--dial-timeout=1s', ...argv], { input: stdin ?? '', encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
      expect(r.status, `etcdctl ${argv.join(' ')}: ${r.stderr}`).toBe(code);
    }
  }, 60_000);

  it('a group alone lists its subcommands', async () => {
    const r = await runCli(['lease']);
    expect(r.code).toBe(0);
    for (const sub of ['grant', 'revoke', 'timetolive', 'list', 'keep-alive']) expect(r.stdout).toMatch(new RegExp(`^  ${sub} `, 'm'));
  });

  it('help does not call the endpoints gRPC endpoints', async () => {
    const r = await runCli(['get', '--help']);
    expect(r.stdout).toMatch(/--endpoints\s+client URLs/);
    expect(r.stdout).not.toMatch(/gRPC/);
  });
});

/** The shape of a JSON value: its object keys, recursively, with scalars replaced by their type. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]).sort(([a], [b]) => String(a).localeCompare(String(b))));
  return typeof v;
}

const TXN_INPUT = 'value("a") = "1"\n\nput b 2\nget a\ndel c\n\nget a\n\n';

describe.skipIf(!hasEtcd || !hasEtcdctl)('JSON output beside etcdctl against a real etcd', () => {
  let etcd: RealEtcd | undefined;
  let cairn: CliNode | undefined;
  let etcdEndpoint = '';
  const dir = mkdtempSync(join(tmpdir(), 'cairn-etcdctl-'));
  const etcdctl = (argv: string[], input = '') => {
    const r = spawnSync('etcdctl', [`--endpoints=${etcdEndpoint}`, ...argv], { input, encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout;
  };
  const cli = async (argv: string[], stdin = '') => {
    const r = await (cairn as CliNode).cli(argv, { stdin });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    etcd = await startEtcd(dir, 'parity');
    etcdEndpoint = etcd.url.replace('http://', '');
    cairn = await startCliNode();
  }, 60_000);

  afterAll(async () => {
    await cairn?.close();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('txn -w json has etcdctl\'s field names (ResponseRange, not response_range)', async () => {
    etcdctl(['put', 'a', '1']);
    await cli(['put', 'a', '1']);
    const theirs = JSON.parse(etcdctl(['txn', '-w', 'json'], TXN_INPUT)) as unknown;
    const ours = JSON.parse(await cli(['txn', '-w', 'json'], TXN_INPUT)) as unknown;
    expect(shape(ours)).toEqual(shape(theirs));
    expect(JSON.stringify(ours)).toContain('"ResponseRange"');
  });

  it('endpoint hashkv -w json carries compact_revision, before and after a compaction', async () => {
    const fields = (text: string) => (JSON.parse(text) as { HashKV: { compact_revision: number } }[])[0]?.HashKV;
    const before = [fields(etcdctl(['endpoint', 'hashkv', '-w', 'json'])), fields(await cli(['endpoint', 'hashkv', '-w', 'json']))];
    expect(shape(before[1])).toEqual(shape(before[0]));
    expect(before.map((h) => h?.compact_revision)).toEqual([-1, -1]);
    etcdctl(['compaction', '2']);
    await cli(['compaction', '2']);
    const after = [fields(etcdctl(['endpoint', 'hashkv', '-w', 'json'])), fields(await cli(['endpoint', 'hashkv', '-w', 'json']))];
    expect(after.map((h) => h?.compact_revision)).toEqual([2, 2]);
  });
});
