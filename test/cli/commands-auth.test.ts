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

const hasEtcdctl = spawnSync('etcdctl', ['version'], { encoding: 'utf8' }).stdout?.includes('3.4') === true;
if (!hasEtcd() || !hasEtcdctl) console.warn('commands-auth: etcd/etcdctl 3.4 not installed; checking against the recorded etcdctl output only');

/** argv, stdin, expected stdout, expected exit code. */
const SESSION: readonly (readonly [string[], string, string, number])[] = [
  [['user', 'add', 'root:rootpw'], '', 'User root created\n', 0],
  [['user', 'add', 'alice', '--interactive=false'], 'alicepw\n', 'User alice created\n', 0],
  [['role', 'add', 'r1'], '', 'Role r1 created\n', 0],
  [['role', 'grant-permission', 'r1', 'readwrite', '--prefix', 'a/'], '', 'Role r1 updated\n', 0],
  [['role', 'grant-permission', 'r1', 'read', 'foo'], '', 'Role r1 updated\n', 0],
  [['role', 'grant-permission', 'r1', 'write', 'k1', 'k5'], '', 'Role r1 updated\n', 0],
  [['role', 'grant-permission', 'r1', 'read', '--from-key', 'z'], '', 'Role r1 updated\n', 0],
  [['user', 'grant-role', 'alice', 'r1'], '', 'Role r1 is granted to user alice\n', 0],
  [['role', 'get', 'r1'], '', 'Role r1\nKV Read:\n\t[a/, a0) (prefix a/)\n\tfoo\n\t[z, <open ended>\nKV Write:\n\t[a/, a0) (prefix a/)\n\t[k1, k5)\n', 0],
  [['user', 'get', 'alice'], '', 'User: alice\nRoles: r1\n', 0],
  [['role', 'list'], '', 'r1\n', 0],
  [['auth', 'enable'], '', 'Authentication Enabled\n', 0],
  [['put', 'a/1', 'x'], '', '', 1],
  [['--user', 'root:rootpw', 'put', 'a/1', 'x'], '', 'OK\n', 0],
  [['--user', 'alice:alicepw', 'get', 'a/1'], '', 'a/1\nx\n', 0],
  [['--user', 'alice', '--password', 'alicepw', 'put', 'foo', 'y'], '', '', 1],
  [['--user', 'alice:alicepw', 'user', 'list'], '', '', 1],
  [['--user', 'root:rootpw', 'user', 'list'], '', 'alice\nroot\n', 0],
  [['--user', 'root:rootpw', 'user', 'get', 'root'], '', 'User: root\nRoles: root\n', 0],
  [['--user', 'root:rootpw', 'user', 'passwd', 'alice', '--interactive=false'], 'newpw\n', 'Password updated\n', 0],
  [['--user', 'alice:alicepw', 'get', 'a/1'], '', '', 2], // the login fails: etcdctl's ExitBadConnection
  [['--user', 'alice:newpw', 'get', 'a/1'], '', 'a/1\nx\n', 0],
  [['--user', 'root:rootpw', 'role', 'revoke-permission', 'r1', '--prefix', 'a/'], '', 'Permission of range [a/, a0) is revoked from role r1\n', 0],
  [['--user', 'root:rootpw', 'role', 'revoke-permission', 'r1', 'foo'], '', 'Permission of key foo is revoked from role r1\n', 0],
  [['--user', 'root:rootpw', 'role', 'revoke-permission', 'r1', 'k1', 'k5'], '', 'Permission of range [k1, k5) is revoked from role r1\n', 0],
  [['--user', 'root:rootpw', 'user', 'revoke-role', 'alice', 'r1'], '', 'Role r1 is revoked from user alice\n', 0],
  [['--user', 'root:rootpw', 'user', 'delete', 'alice'], '', 'User alice deleted\n', 0],
  [['--user', 'root:rootpw', 'role', 'delete', 'r1'], '', 'Role r1 deleted\n', 0],
  [['--user', 'root:rootpw', 'auth', 'disable'], '', 'Authentication Disabled\n', 0],
  [['get', 'a/1'], '', 'a/1\nx\n', 0],
];

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
