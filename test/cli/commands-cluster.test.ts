/** lease, member, endpoint, defrag, alarm, move-leader and check perf against a real member. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/commands/run-cli.js';
import { startCliNode, type CliNode } from './commands-node.js';

let n: CliNode;
let memberHex: string;
let clusterId: number;
beforeAll(async () => {
  n = await startCliNode();
  memberHex = n.node.member.id.toString(16);
  clusterId = Number((await n.node.status()).header.clusterId);
});
afterAll(async () => {
  await n?.close();
});

const enc = (s: string) => new TextEncoder().encode(s);
const hex16 = (id: number | bigint) => id.toString(16).padStart(16, '0');

describe('lease', () => {
  it('grant prints the ID as %016x; timetolive, list, keep-alive --once and revoke follow it', async () => {
    const g = await n.cli(['lease', 'grant', '100']);
    const m = /^lease ([0-9a-f]{16}) granted with TTL\(100s\)\n$/.exec(g.stdout);
    expect(m).not.toBeNull();
    const hex = (m as RegExpExecArray)[1] as string;
    const id = Number.parseInt(hex, 16);
    await n.cli(['put', 'l/k1', 'v', '--lease', hex]);
    await n.cli(['put', 'l/k2', 'v', '--lease', hex]);
    expect((await n.cli(['lease', 'timetolive', hex, '--keys'])).stdout).toMatch(new RegExp(`^lease ${hex} granted with TTL\\(100s\\), remaining\\((99|100)s\\), attached keys\\(\\[l/k1 l/k2\\]\\)\\n$`));
    expect((await n.cli(['lease', 'timetolive', hex])).stdout).toMatch(/remaining\(\d+s\)\n$/);
    expect((await n.cli(['lease', 'list'])).stdout).toContain(`${hex}\n`);
    expect((await n.cli(['lease', 'list'])).stdout).toMatch(/^found \d+ leases\n/);
    expect((await n.cli(['lease', 'keep-alive', '--once', hex])).stdout).toBe(`lease ${hex} keepalived with TTL(100)\n`);
    const json = JSON.parse((await n.cli(['lease', 'timetolive', hex, '-w', 'json', '--keys'])).stdout);
    expect(json).toMatchObject({ id, 'granted-ttl': 100, keys: [Buffer.from('l/k1').toString('base64'), Buffer.from('l/k2').toString('base64')] });
    expect((await n.cli(['lease', 'revoke', hex])).stdout).toBe(`lease ${hex} revoked\n`);
    expect((await n.node.range({ key: enc('l/k1') })).kvs).toHaveLength(0);
    expect((await n.cli(['lease', 'timetolive', hex])).stdout).toBe(`lease ${hex} already expired\n`);
    expect(await n.cli(['lease', 'revoke', hex])).toMatchObject({ code: 1, stderr: 'Error: etcdserver: requested lease not found\n' });
    expect(await n.cli(['lease', 'keep-alive', '--once', hex])).toMatchObject({ code: 1, stderr: 'Error: etcdserver: requested lease not found\n' });
  });

  it('grant -w json flattens the header as clientv3 does; fields prints ID and TTL', async () => {
    const j = JSON.parse((await n.cli(['lease', 'grant', '30', '-w', 'json'])).stdout);
    expect(j).toMatchObject({ cluster_id: clusterId, member_id: n.node.member.id, TTL: 30, Error: '' });
    expect(typeof j.ID).toBe('number');
    expect((await n.cli(['lease', 'grant', '30', '-w', 'fields'])).stdout).toMatch(/"ID" : \d+\n"TTL" : 30\n$/);
  });

  it('keep-alive renews until interrupted; stops with "expired or revoked" when the lease goes', async () => {
    const { id } = await n.node.leaseGrant({ ttl: 3 });
    const abort = new AbortController();
    let out = '';
    const done = runCli(['--endpoints', n.endpoint, 'lease', 'keep-alive', hex16(id)], { signal: abort.signal, onStdout: (t) => (out += t) });
    while (!out.includes('keepalived')) await new Promise((r) => setTimeout(r, 20));
    await n.node.leaseRevoke({ id });
    const r = await done;
    expect(r.code).toBe(0);
    expect(out).toMatch(new RegExp(`^(lease ${hex16(id)} keepalived with TTL\\(3\\)\\n)+lease ${hex16(id)} expired or revoked\\.\\n$`));
    abort.abort();
  });

  it('validates arguments', async () => {
    expect(await n.cli(['lease', 'grant'])).toMatchObject({ code: 128 });
    expect((await n.cli(['lease', 'grant', 'ten'])).stderr).toContain('bad TTL');
    expect((await n.cli(['lease', 'revoke', 'zz'])).stderr).toContain('bad lease ID (zz), expecting ID in Hex');
    // etcdctl prints a group's help and exits 0 when no subcommand is given.
    expect(await n.cli(['lease'])).toMatchObject({ code: 0, stderr: '', stdout: expect.stringContaining('  timetolive ') });
  });
});

describe('member', () => {
  it('list prints etcdctl\'s rows (simple), a table (-w table) and JSON (decimal IDs even with --hex, as 3.4)', async () => {
    const m = (await n.node.memberList({})).members[0];
    const row = `${memberHex}, started, default, ${m?.peerUrls.join(',')}, ${n.url}, false`;
    expect((await n.cli(['member', 'list'])).stdout).toBe(`${row}\n`);
    const table = (await n.cli(['member', 'list', '-w', 'table'])).stdout.split('\n');
    expect(table[1]).toMatch(/^\| +ID +\| STATUS  \| +NAME +\| +PEER ADDRS +\| +CLIENT ADDRS +\| IS LEARNER \|$/);
    expect(table[0]).toBe(table[2]);
    expect(table[3]).toBe(`| ${memberHex} | started | default | ${m?.peerUrls[0]} | ${n.url} |      false |`);
    expect(table[4]).toBe(table[0]);
    const j = JSON.parse((await n.cli(['member', 'list', '-w', 'json'])).stdout);
    expect(j.members).toEqual([{ ID: n.node.member.id, name: 'default', peerURLs: m?.peerUrls, clientURLs: [n.url] }]);
    const h = JSON.parse((await n.cli(['member', 'list', '-w', 'json', '--hex'])).stdout);
    expect(h.members[0].ID).toBe(n.node.member.id);
    expect(h.header.cluster_id).toBe(clusterId);
  });

  it('add (as a learner, so quorum is kept), remove, update and promote print etcdctl\'s lines and the server\'s refusals', async () => {
    const add = await n.cli(['member', 'add', 'n2', '--peer-urls=http://127.0.0.1:1', '--learner']);
    expect(add.code, add.stderr).toBe(0);
    // etcdctl prints IDs with Go's %16x: right-aligned, space-padded.
    const added = /^Member {1,}([0-9a-f]{1,16}) added as learner to cluster {1,}([0-9a-f]{1,16})\n/.exec(add.stdout);
    expect(added).not.toBeNull();
    expect(add.stdout).toContain('CAIRN_NAME="n2"\n');
    expect(add.stdout).toContain('CAIRN_INITIAL_ADVERTISE_PEER_URLS="http://127.0.0.1:1"\n');
    expect(add.stdout).toContain('CAIRN_INITIAL_CLUSTER_STATE="existing"\n');
    const learnerHex = (added as RegExpExecArray)[1] as string;
    // A learner that never started is not in sync with the leader: etcd refuses to promote it.
    expect((await n.cli(['member', 'promote', learnerHex])).stderr).toBe('Error: etcdserver: can only promote a learner member which is in sync with leader\n');
    const removed = await n.cli(['member', 'remove', learnerHex]);
    expect(removed.stdout).toMatch(new RegExp(`^Member +${learnerHex} removed from cluster +[0-9a-f]+\n$`));
    expect((await n.cli(['member', 'remove', 'abc123'])).stderr).toBe('Error: etcdserver: member not found\n');
    expect((await n.cli(['member', 'update', 'abc123', '--peer-urls', 'http://127.0.0.1:2'])).stderr).toBe('Error: etcdserver: member not found\n');
    expect((await n.cli(['member', 'promote', memberHex])).stderr).toBe('Error: etcdserver: can only promote a learner member\n');
    expect((await n.cli(['member', 'add', 'n2'])).stderr).toContain('member peer urls not provided');
    expect((await n.cli(['member', 'add', 'n2', 'http://x:1'])).stderr).toContain('too many arguments, did you mean --peer-urls=http://x:1');
    expect((await n.cli(['member', 'remove', 'xyz'])).stderr).toContain('bad member ID arg (xyz), expecting ID in Hex');
    expect((await n.cli(['member', 'update', memberHex])).stderr).toContain('member peer urls not provided');
  });
});

describe('endpoint and maintenance', () => {
  it('status: etcdctl\'s row, table columns and JSON; --cluster uses the member list\'s client URLs', async () => {
    const s = await n.node.status();
    const simple = (await n.cli(['endpoint', 'status'])).stdout;
    // The version (3.4.23+cairn.x.y.z) holds regex metacharacters.
    expect(simple).toMatch(new RegExp(`^${n.endpoint}, ${memberHex}, ${s.version.replace(/[.+]/g, '\\$&')}, \\d+(\\.\\d)? k?B, true, false, ${s.raftTerm}, \\d+, \\d+, \\n$`));
    const table = (await n.cli(['endpoint', 'status', '-w', 'table', '--cluster'])).stdout.split('\n');
    expect(table[1]?.split('|').map((c) => c.trim()).filter((c) => c !== '')).toEqual(['ENDPOINT', 'ID', 'VERSION', 'DB SIZE', 'IS LEADER', 'IS LEARNER', 'RAFT TERM', 'RAFT INDEX', 'RAFT APPLIED INDEX', 'ERRORS']);
    expect(table[3]).toContain(`| ${n.url} |`);
    const j = JSON.parse((await n.cli(['endpoint', 'status', '-w', 'json'])).stdout);
    expect(j[0]).toMatchObject({ Endpoint: n.endpoint, Status: { leader: n.node.member.id, version: s.version, raftTerm: s.raftTerm } });
    expect((await n.cli(['endpoint', 'status', '-w', 'fields'])).stdout).toContain(`"Leader" : ${n.node.member.id}\n`);
  });

  it('health: the verdict line on stderr, a table, JSON; an unreachable endpoint is unhealthy (exit 1)', async () => {
    const h = await n.cli(['endpoint', 'health']);
    expect(h.code).toBe(0);
    expect(h.stderr).toMatch(new RegExp(`^${n.endpoint} is healthy: successfully committed proposal: took = [0-9.]+(µs|ms|s)\\n$`));
    expect((await n.cli(['endpoint', 'health', '-w', 'table'])).stdout).toContain(`| ${n.endpoint} |   true |`);
    expect(JSON.parse((await n.cli(['endpoint', 'health', '-w', 'json'])).stdout)[0]).toMatchObject({ endpoint: n.endpoint, health: true });
    const down = await runCli(['endpoint', 'health', '--endpoints', `${n.endpoint},127.0.0.1:1`, '--command-timeout=500ms', '--dial-timeout=100ms']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`${n.endpoint} is healthy`);
    expect(down.stderr).toContain('127.0.0.1:1 is unhealthy: failed to commit proposal: ');
    expect(down.stderr).toMatch(/Error: unhealthy cluster\n$/);
  });

  it('hashkv prints endpoint, hash; equal to the member\'s own hash', async () => {
    const hash = (await n.node.hashKV({})).hash;
    expect((await n.cli(['endpoint', 'hashkv'])).stdout).toBe(`${n.endpoint}, ${hash}\n`);
    expect(JSON.parse((await n.cli(['endpoint', 'hashkv', '-w', 'json'])).stdout)[0]).toMatchObject({ Endpoint: n.endpoint, HashKV: { hash } });
  });

  it('defrag, alarm list/disarm and move-leader', async () => {
    expect(await n.cli(['defrag', '--cluster'])).toEqual({ stdout: `Finished defragmenting etcd member[${n.url}]\n`, stderr: '', code: 0 });
    expect(await n.cli(['alarm', 'list'])).toEqual({ stdout: '', stderr: '', code: 0 });
    expect(await n.cli(['alarm', 'disarm'])).toEqual({ stdout: '', stderr: '', code: 0 });
    expect((await n.cli(['alarm', 'list', 'extra'])).stderr).toContain('alarm list command accepts no arguments');
    const move = await n.cli(['move-leader', 'abc']);
    expect(move.code).toBe(1);
    expect(move.stderr).toBe('Error: etcdserver: bad leader transferee\n');
    // A single member is its own leader: moving leadership to itself is a no-op, as in etcd.
    expect(await n.cli(['move-leader', memberHex])).toEqual({ stdout: `Leadership transferred from ${memberHex} to ${memberHex}\n`, stderr: '', code: 0 });
    expect((await n.cli(['move-leader'])).code).toBe(128);
  });

  it('snapshot save writes the member\'s bytes with etcd\'s SHA-256 trailer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-snap-'));
    try {
      await n.cli(['put', 'snap/k', 'v']);
      const file = join(dir, 'snap.db');
      const r = await n.cli(['snapshot', 'save', file]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`Snapshot saved at ${file}\n`);
      const bytes = readFileSync(file);
      expect(bytes.length).toBeGreaterThan(32);
      const digest = createHash('sha256').update(bytes.subarray(0, bytes.length - 32)).digest();
      expect(digest.equals(bytes.subarray(bytes.length - 32))).toBe(true);
      const multi = await runCli(['snapshot', 'save', file, '--endpoints', `${n.endpoint},${n.endpoint}`]);
      // etcdctl 3.4 exits ExitInterrupted (5) here.
      expect(multi.code).toBe(5);
      expect(multi.stderr).toContain('snapshot must be requested to one selected node, not multiple');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('check perf runs a short load, prints progress and PASS/FAIL verdicts, and cleans up', async () => {
    const r = await n.cli(['check', 'perf', '--duration', '1s', '--prefix', '/perf/']);
    expect(r.stdout).toMatch(/1 \/ 1 s, \d+ writes\n/);
    expect(r.stdout).toMatch(/(PASS: Throughput is|FAIL: Throughput too low:) \d+ writes\/s\n/);
    expect(r.stdout).toMatch(/PASS: Slowest request took [0-9.]+s\n|Slowest request took too long/);
    expect(r.stdout).toMatch(/\n(PASS|FAIL)\n$/);
    expect(r.code).toBe(r.stdout.endsWith('\nPASS\n') ? 0 : 1);
    expect((await n.node.range({ key: enc('/perf/'), rangeEnd: enc('/perf0'), countOnly: true })).count).toBe(0);
    await n.cli(['put', '/perf/left', 'x']);
    expect((await n.cli(['check', 'perf', '--duration', '1s', '--prefix', '/perf/'])).stderr).toContain('prefix "/perf/" has keys. Delete with etcdctl del --prefix /perf/ first');
    expect((await n.cli(['check', 'perf', '--load', 'xxl'])).stderr).toContain('unknown load option xxl');
  });
});
