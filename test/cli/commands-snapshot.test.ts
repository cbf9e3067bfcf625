import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode, type CairnNode } from '../../src/index.js';
import { startCliNode, type CliNode } from './commands-node.js';

let source: CliNode | undefined;
let restored: CairnNode | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await source?.close();
  await restored?.close();
  source = undefined;
  restored = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const hasEtcdctl = spawnSync('etcdctl', ['version'], { encoding: 'utf8' }).stdout?.includes('3.4') === true;
if (!hasEtcdctl) console.warn('commands-snapshot: etcdctl 3.4 is not installed; skipping etcdctl snapshot save against cairn');

describe('cairn snapshot save / status / restore', () => {
  it('saves a backup, reports its revision and keys, and restores a new member serving the same data', async () => {
    source = await startCliNode();
    for (const k of ['a', 'b', 'c']) expect((await source.cli(['put', k, `v-${k}`])).stdout).toBe('OK\n');
    const umask = process.umask(0);
    const base = mkdtempSync(join(tmpdir(), 'cairn-snap-cli-'));
    dirs.push(base);
    const file = join(base, 'backup.db');
    const saved = await source.cli(['snapshot', 'save', file]).finally(() => process.umask(umask));
    expect(saved.code).toBe(0);
    expect(saved.stdout).toBe(`Snapshot saved at ${file}\n`);
    // etcdctl's private file mode: the backup holds every key (checked under a loose umask).
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const status = await source.cli(['snapshot', 'status', file, '-w', 'json']);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as { revision: number; totalKey: number; totalSize: number; hash: number };
    expect(s.revision).toBe(4);
    expect(s.totalKey).toBe(3);
    expect(s.totalSize).toBeGreaterThan(0);
    expect((await source.cli(['snapshot', 'status', file])).stdout).toMatch(/^[0-9a-f]+, 4, 3, \d+(\.\d+)? [kMG]?B\n$/);

    const peer = 'http://127.0.0.1:13999';
    const dataDir = join(base, 'restored');
    const restore = await source.cli([
      'snapshot', 'restore', file, '--data-dir', dataDir, '--name', 'r1',
      '--initial-cluster', `r1=${peer}`, '--initial-advertise-peer-urls', peer, '--initial-cluster-token', 'new-token',
    ]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stderr).toMatch(/^restoring .*backup\.db into .*restored: checking and loading the backend\n$/);
    expect(restore.stdout).toMatch(/^restored snapshot .* into .*restored \(member [0-9a-f]+, cluster [0-9a-f]+\)\n$/);
    restored = await startNode({
      name: 'r1', dataDir, listenPeerUrls: [peer], initialAdvertisePeerUrls: [peer],
      initialCluster: new Map([['r1', [peer]]]), initialClusterToken: 'new-token', heartbeatIntervalMs: 10, electionTimeoutMs: 100,
    });
    const r = await restored.range({ key: new TextEncoder().encode('a'), rangeEnd: new TextEncoder().encode('d') });
    expect(r.kvs.map((kv) => new TextDecoder().decode(kv.value))).toEqual(['v-a', 'v-b', 'v-c']);
    expect(r.header.revision).toBe(4);

    const again = await source.cli(['snapshot', 'restore', file, '--data-dir', dataDir, '--name', 'r1', '--initial-cluster', `r1=${peer}`, '--initial-advertise-peer-urls', peer]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists/);
  });

  it.skipIf(!hasEtcdctl)('etcdctl snapshot save against cairn writes a file cairn restores (etcd\'s 512-byte page check passes)', async () => {
    source = await startCliNode();
    for (const k of ['a', 'b']) await source.cli(['put', k, `v-${k}`]);
    const base = mkdtempSync(join(tmpdir(), 'cairn-snap-etcdctl-'));
    dirs.push(base);
    const file = join(base, 'etcdctl.db');
    // Asynchronously: the member answering it runs in this process.
    const r = await promisify(execFile)('etcdctl', [`--endpoints=${source.endpoint}`, 'snapshot', 'save', file], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 20_000 });
    expect(r.stdout).toBe(`Snapshot saved at ${file}\n`);
    expect(statSync(file).size % 512).toBe(32);
    const status = await source.cli(['snapshot', 'status', file, '-w', 'json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ revision: 3, totalKey: 2 });
    const peer = 'http://127.0.0.1:13998';
    const restore = await source.cli(['snapshot', 'restore', file, '--data-dir', join(base, 'r'), '--name', 'r1', '--initial-cluster', `r1=${peer}`, '--initial-advertise-peer-urls', peer]);
    expect(restore.code, restore.stderr).toBe(0);
  });
});
