/** put / get / del / compaction against a real member, compared with etcdctl's documented output. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliNode, type CliNode } from './commands-node.js';

let n: CliNode;
beforeAll(async () => {
  n = await startCliNode();
});
afterAll(async () => {
  await n?.close();
});

const enc = (s: string) => new TextEncoder().encode(s);

describe('put', () => {
  it('prints OK, and the previous pair with --prev-kv', async () => {
    expect(await n.cli(['put', 'put/a', 'one'])).toEqual({ stdout: 'OK\n', stderr: '', code: 0 });
    expect((await n.cli(['put', 'put/a', 'two', '--prev-kv'])).stdout).toBe('OK\nput/a\none\n');
    expect(new TextDecoder().decode((await n.node.range({ key: enc('put/a') })).kvs[0]?.value)).toBe('two');
  });

  it('reads the value from stdin when it is not an argument (all of it, newline included)', async () => {
    expect((await n.cli(['put', 'put/stdin'], { stdin: 'from stdin\n' })).code).toBe(0);
    expect((await n.cli(['get', 'put/stdin', '--print-value-only'])).stdout).toBe('from stdin\n\n');
    const none = await n.cli(['put', 'put/empty'], { stdin: '' });
    expect(none.code).toBe(128);
    expect(none.stderr).toContain('Error: put command needs 1 argument and input from stdin or 2 arguments');
  });

  it('attaches a lease given in hex and refuses an unknown one with etcd\'s message, exit 1', async () => {
    const grant = await n.node.leaseGrant({ ttl: 60 });
    const hex = grant.id.toString(16);
    expect((await n.cli(['put', 'put/leased', 'v', `--lease=${hex}`])).code).toBe(0);
    expect((await n.node.range({ key: enc('put/leased') })).kvs[0]?.lease).toBe(grant.id);
    const bad = await n.cli(['put', 'put/leased', 'v', '--lease', '1234abcd']);
    expect(bad).toEqual({ stdout: '', stderr: 'Error: etcdserver: requested lease not found\n', code: 1 });
    const notHex = await n.cli(['put', 'k', 'v', '--lease', 'xyz']);
    expect(notHex.code).toBe(128);
    expect(notHex.stderr).toContain('bad lease ID (xyz), expecting ID in Hex');
  });

  it('--ignore-value keeps the value; on a missing key the server refuses', async () => {
    await n.cli(['put', 'put/iv', 'kept']);
    expect((await n.cli(['put', 'put/iv', '--ignore-value'])).code).toBe(0);
    expect((await n.cli(['get', 'put/iv', '--print-value-only'])).stdout).toBe('kept\n');
    expect((await n.cli(['put', 'put/iv', 'x', '--ignore-value'])).stderr).toContain("put command needs only 1 argument when 'ignore-value' is set");
    expect((await n.cli(['put', 'put/missing', '--ignore-value'])).stderr).toBe('Error: etcdserver: key not found\n');
  });
});

describe('get', () => {
  beforeAll(async () => {
    for (const [k, v] of [['g/a', '1'], ['g/b', '22'], ['g/c', '333'], ['h', 'x']]) await n.cli(['put', k as string, v as string]);
  });

  it('prints key and value lines; prefix, range, from-key, limit, sort and order', async () => {
    expect((await n.cli(['get', 'g/a'])).stdout).toBe('g/a\n1\n');
    expect((await n.cli(['get', 'g/', '--prefix'])).stdout).toBe('g/a\n1\ng/b\n22\ng/c\n333\n');
    expect((await n.cli(['get', 'g/a', 'g/c'])).stdout).toBe('g/a\n1\ng/b\n22\n');
    expect((await n.cli(['get', 'g/c', '--from-key', '--keys-only', '--limit=2'])).stdout).toBe('g/c\n\nh\n\n');
    expect((await n.cli(['get', 'g/', '--prefix', '--limit', '2', '--print-value-only'])).stdout).toBe('1\n22\n');
    expect((await n.cli(['get', 'g/', '--prefix', '--sort-by=VALUE', '--order=DESCEND', '--print-value-only'])).stdout).toBe('333\n22\n1\n');
    expect((await n.cli(['get', 'g/', '--prefix', '--order', 'DESCEND', '--keys-only'])).stdout).toBe('g/c\n\ng/b\n\ng/a\n\n');
    expect((await n.cli(['get', 'nothing-here'])).stdout).toBe('');
  });

  it('reads an older revision with --rev and serializably with --consistency=s', async () => {
    await n.cli(['put', 'g/rev', 'old']);
    const rev = (await n.node.range({ key: enc('g/rev') })).kvs[0]?.modRevision as number;
    await n.cli(['put', 'g/rev', 'new']);
    expect((await n.cli(['get', 'g/rev', `--rev=${rev}`, '--print-value-only'])).stdout).toBe('old\n');
    expect((await n.cli(['get', 'g/rev', '--consistency', 's', '--print-value-only'])).stdout).toBe('new\n');
    expect((await n.cli(['get', 'g/rev', '--consistency', 'x'])).stderr).toBe('Error: unknown consistency flag "x"\n');
    expect((await n.cli(['get', 'g/rev', '--rev', '999999'])).stderr).toBe('Error: etcdserver: mvcc: required revision is a future revision\n');
  });

  it('-w json prints etcdctl\'s JSON: numbers for int64, base64 bytes, zero fields omitted', async () => {
    const r = await n.cli(['get', 'g/b', '-w', 'json']);
    const j = JSON.parse(r.stdout);
    const kv = (await n.node.range({ key: enc('g/b') })).kvs[0];
    expect(j.header.cluster_id).toBe(Number((await n.node.status()).header.clusterId));
    expect(j.header.member_id).toBe(n.node.member.id);
    expect(typeof j.header.revision).toBe('number');
    expect(j.kvs).toEqual([{ key: 'Zy9i', create_revision: kv?.createRevision, mod_revision: kv?.modRevision, version: 1, value: 'MjI=' }]);
    expect(j.count).toBe(1);
    expect(j.more).toBeUndefined();
  });

  it('-w fields prints "Name" : value lines; --count-only needs fields', async () => {
    const r = await n.cli(['get', 'g/a', '-w', 'fields']);
    const kv = (await n.node.range({ key: enc('g/a') })).kvs[0];
    expect(r.stdout).toContain(`"ClusterID" : ${(await n.node.status()).header.clusterId}\n"MemberID" : ${n.node.member.id}\n"Revision" : `);
    expect(r.stdout).toContain(`"Key" : "g/a"\n"CreateRevision" : ${kv?.createRevision}\n"ModRevision" : ${kv?.modRevision}\n"Version" : 1\n"Value" : "1"\n"Lease" : 0\n"More" : false\n"Count" : 1\n`);
    const count = (await n.node.range({ key: enc('g/'), rangeEnd: enc('g0'), countOnly: true })).count;
    expect(count).toBeGreaterThanOrEqual(3);
    const counted = (await n.cli(['get', 'g/', '--prefix', '--count-only', '-w', 'fields'])).stdout;
    expect(counted).toContain(`"More" : false\n"Count" : ${count}\n`);
    expect(counted).not.toContain('"Key"');
    expect((await n.cli(['get', 'g/', '--prefix', '--count-only'])).stderr).toContain('--count-only is only for `--write-out=fields`');
    expect((await n.cli(['get', 'g/a', '-w', 'table'])).stderr).toBe('Error: table not supported as output format\n');
  });

  it('--hex prints bytes as \\x escapes', async () => {
    expect((await n.cli(['get', 'g/a', '--hex'])).stdout).toBe('\\x67\\x2f\\x61\n\\x31\n');
  });

  it('rejects bad arguments with exit 128 (an unknown flag with 1) and a usage hint, as etcdctl', async () => {
    const r = await n.cli(['get', 'g/', 'g0', '--prefix']);
    expect(r.code).toBe(128);
    expect(r.stderr).toContain('too many arguments, only accept one argument when `--prefix` or `--from-key` is set');
    expect(r.stderr).toContain('Usage: cairn get [options] <key> [range_end]');
    const flag = await n.cli(['get', 'k', '--bogus']);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain('unknown flag: --bogus');
    expect((await n.cli(['get', 'k', '--prefix', '--from-key'])).stderr).toContain('`--prefix` and `--from-key` cannot be set at the same time, choose one');
    expect((await n.cli(['get', 'k', '--sort-by', 'SIZE'])).stderr).toBe('Error: bad sort target SIZE\n');
  });
});

describe('del and compaction', () => {
  it('prints the number deleted and, with --prev-kv, the pairs', async () => {
    for (const k of ['d/1', 'd/2', 'd/3']) await n.cli(['put', k, `v${k}`]);
    expect((await n.cli(['del', 'd/1'])).stdout).toBe('1\n');
    expect((await n.cli(['del', 'd/', '--prefix', '--prev-kv'])).stdout).toBe('2\nd/2\nvd/2\nd/3\nvd/3\n');
    expect((await n.cli(['del', 'd/', '--prefix'])).stdout).toBe('0\n');
  });

  it('compacts and says so; a compacted revision is then refused by get --rev', async () => {
    await n.cli(['put', 'c/k', '1']);
    const rev = (await n.node.range({ key: enc('c/k') })).header.revision;
    await n.cli(['put', 'c/k', '2']);
    expect(await n.cli(['compaction', String(rev), '--physical'])).toEqual({ stdout: `compacted revision ${rev}\n`, stderr: '', code: 0 });
    expect((await n.cli(['get', 'c/k', '--rev', String(rev - 1)])).stderr).toBe('Error: etcdserver: mvcc: required revision has been compacted\n');
    expect((await n.cli(['compaction'])).code).toBe(128);
  });
});

describe('global flags and environment', () => {
  it('takes endpoints from CAIRN_ENDPOINTS or ETCDCTL_ENDPOINTS; flag and env together is an error', async () => {
    await n.cli(['put', 'env/k', 'v']);
    for (const name of ['CAIRN_ENDPOINTS', 'ETCDCTL_ENDPOINTS']) {
      const r = await import('../../src/cli/commands/run-cli.js').then((m) => m.runCli(['get', 'env/k'], { env: { [name]: n.url } }));
      expect(r.stdout).toBe('env/k\nv\n');
    }
    const both = await n.cli(['get', 'env/k'], { env: { ETCDCTL_ENDPOINTS: n.url } });
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('conflicting environment variable "ETCDCTL_ENDPOINTS" is shadowed by corresponding command-line flag');
    const out = await import('../../src/cli/commands/run-cli.js').then((m) => m.runCli(['get', 'env/k', '--endpoints', n.url], { env: { ETCDCTL_WRITE_OUT: 'json' } }));
    expect(JSON.parse(out.stdout).count).toBe(1);
  });

  it('fails with exit 1 and one Error line when no endpoint answers', async () => {
    const r = await import('../../src/cli/commands/run-cli.js').then((m) => m.runCli(['get', 'k', '--endpoints', '127.0.0.1:1', '--command-timeout=1s', '--dial-timeout=100ms']));
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(r.stderr).toMatch(/^Error: /);
  });

  it('rejects an unknown output format and a bad duration', async () => {
    expect((await n.cli(['get', 'k', '-w', 'yaml'])).stderr).toContain('unsupported output format "yaml"');
    expect((await n.cli(['get', 'k', '--command-timeout', 'soon'])).stderr).toContain('time: invalid duration "soon"');
  });

  it('the binary runs a client command (node --import tsx src/cli/main.ts put …)', async () => {
    // The member lives in this process, so the child must run asynchronously.
    const main = join(import.meta.dirname, '../../src/cli/main.ts');
    const run = (args: string[], stdin = '') =>
      new Promise<{ stdout: string; status: number | null }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.on('close', (status) => resolve({ stdout, status }));
        child.stdin.end(stdin);
      });
    // Global flags before the command, the value from stdin: one spawn covers the process wiring.
    expect(await run(['--endpoints', n.endpoint, 'put', 'bin/k'], 'from-binary')).toEqual({ stdout: 'OK\n', status: 0 });
    expect(new TextDecoder().decode((await n.node.range({ key: enc('bin/k') })).kvs[0]?.value)).toBe('from-binary');
  }, 30_000);
});
