/**
 * `cairn user|role|auth` and the global --user/--password, through runCli against a real member.
 * The expected lines are etcdctl 3.4.23's (recorded); where etcd and etcdctl are installed the
 * same session runs against them too and the outputs must match.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasEtcd, startEtcd, type RealEtcd } from '../compat/real-etcd.js';
import { startCliNode, type CliNode } from './commands-node.js';
import { SESSION } from './auth-session.js';

const hasEtcdctl = spawnSync('etcdctl', ['version'], { encoding: 'utf8' }).stdout?.includes('3.4') === true;
if (!hasEtcd() || !hasEtcdctl) console.warn('commands-auth: etcd/etcdctl 3.4 not installed; checking against the recorded etcdctl output only');


let node: CliNode;
let etcd: RealEtcd | undefined;
let dir: string | undefined;

beforeAll(async () => {
  node = await startCliNode({ bcryptCost: 4 });
  if (hasEtcd() && hasEtcdctl) {
    dir = mkdtempSync(join(tmpdir(), 'cairn-auth-cli-'));
    etcd = await startEtcd(dir, 'authcli');
  }
});
afterAll(async () => {
  await node.close();
  await etcd?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('cairn user/role/auth, as etcdctl 3.4', () => {
  it('runs the enable walkthrough with etcdctl\'s output and exit codes', async () => {
    for (const [argv, stdin, out, code] of SESSION) {
      const r = await node.cli(argv, { stdin });
      expect([r.stdout, r.code], `cairn ${argv.join(' ')}: ${r.stderr}`).toEqual([out, code]);
    }
  });

  it('prompts for a password missing from --user', async () => {
    const r = await node.cli(['--user', 'root', 'get', 'a/1'], { stdin: 'rootpw\n' });
    expect(r.stderr).toContain('Password: ');
    expect(r.code).toBe(0);
  });

  it.skipIf(!(hasEtcd() && hasEtcdctl))('etcdctl against etcd prints the same', async () => {
    const endpoint = (etcd as RealEtcd).url.replace('http://', '');
    for (const [argv, stdin, out, code] of SESSION) {
      const r = spawnSync('etcdctl', [`--endpoints=${endpoint}`, ...argv], { input: stdin, encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
      expect([r.stdout, r.status], `etcdctl ${argv.join(' ')}: ${r.stderr}`).toEqual([out, code]);
    }
  });
});
