import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode, type CairnNode } from '../../src/index.js';
import { defaultConfig } from '../../src/server/config.js';
import { restoreSnapshotFile } from '../../src/server/restore.js';
import { isKvError } from '../../src/util/errors.js';

const dirs: string[] = [];
let node: CairnNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const enc = (s: string) => new TextEncoder().encode(s);
const fast = { heartbeatIntervalMs: 10, electionTimeoutMs: 100 };

async function saveSnapshot(n: CairnNode, file: string): Promise<void> {
  const snap = await n.snapshot();
  const parts: Uint8Array[] = [];
  for await (const c of snap.chunks) parts.push(c);
  const body = Buffer.concat(parts);
  writeFileSync(file, Buffer.concat([body, createHash('sha256').update(body).digest()]));
}

describe('snapshot save and restore', () => {
  it('restores a new cluster with the same keys and revision and new IDs', async () => {
    const base = mkdtempSync(join(tmpdir(), 'cairn-restore-'));
    dirs.push(base);
    node = await startNode({ dataDir: join(base, 'old'), ...fast });
    for (let i = 0; i < 50; i++) await node.put({ key: enc(`k${i}`), value: enc(`v${i}`) });
    await node.deleteRange({ key: enc('k0') });
    const before = await node.range({ key: enc('k'), rangeEnd: enc('l') });
    const oldId = node.member.id;
    const file = join(base, 'backup.db');
    await saveSnapshot(node, file);
    await node.close();
    node = undefined;

    const peer = 'http://127.0.0.1:12999';
    const config = {
      ...defaultConfig('restored'),
      dataDir: join(base, 'new'),
      initialAdvertisePeerUrls: [peer],
      listenPeerUrls: [peer],
      initialCluster: new Map([['restored', [peer]]]),
      initialClusterToken: 'restored-cluster',
    };
    const result = await restoreSnapshotFile(file, config);
    expect(result.members.map((m) => m.name)).toEqual(['restored']);
    await expect(restoreSnapshotFile(file, config)).rejects.toThrow(/exists/);

    node = await startNode({ ...config, ...fast });
    const after = await node.range({ key: enc('k'), rangeEnd: enc('l') });
    expect(after.kvs.map((kv) => new TextDecoder().decode(kv.key))).toEqual(before.kvs.map((kv) => new TextDecoder().decode(kv.key)));
    expect(after.header.revision).toBe(before.header.revision);
    expect(node.member.id).not.toBe(oldId);
    expect((await node.memberList({})).members.map((m) => m.name)).toEqual(['restored']);
    const put = await node.put({ key: enc('new'), value: enc('1') });
    expect(put.header.revision).toBe(before.header.revision + 1);
  });

  it('refuses a snapshot file whose checksum does not match', async () => {
    const base = mkdtempSync(join(tmpdir(), 'cairn-restore-'));
    dirs.push(base);
    const file = join(base, 'bad.db');
    writeFileSync(file, Buffer.alloc(100, 7));
    let caught: unknown;
    try {
      await restoreSnapshotFile(file, { ...defaultConfig('x'), dataDir: join(base, 'd') });
    } catch (err) {
      caught = err;
    }
    expect(isKvError(caught, 'StorageCorrupt')).toBe(true);
    expect((caught as Error).message).toMatch(/integrity check failed/);
  });
});
