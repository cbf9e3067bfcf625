/**
 * deploy/restore-snapshot.mjs, the disaster-recovery step docs/operations.md prescribes: a
 * backup in `snapshot save`'s format (backend bytes + SHA-256 trailer) restores into a new
 * data dir that a member starts from with the keys, and a damaged file or a used data dir is
 * refused with exit 1.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode } from '../../src/index.js';
import { utf8 } from '../../src/util/bytes.js';

const script = fileURLToPath(new URL('../../deploy/restore-snapshot.mjs', import.meta.url));
const run = promisify(execFile);
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-restore-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** What `cairn snapshot save` writes: the streamed backend, then its SHA-256. */
async function backupOf(dir: string): Promise<string> {
  const node = await startNode({ name: 'old', dataDir: join(dir, 'old.cairn') });
  try {
    await node.put({ key: utf8('config/a'), value: utf8('one') });
    await node.put({ key: utf8('config/b'), value: utf8('two') });
    const snapshot = await node.snapshot();
    const parts: Uint8Array[] = [];
    for await (const chunk of snapshot.chunks) parts.push(chunk);
    const body = Buffer.concat(parts);
    const file = join(dir, 'backup.db');
    await writeFile(file, Buffer.concat([body, createHash('sha256').update(body).digest()]));
    return file;
  } finally {
    await node.close();
  }
}

const restoreArgs = (file: string, dataDir: string): string[] => [
  script, file, '--name', 'n1', '--data-dir', dataDir,
  '--initial-advertise-peer-urls', 'http://127.0.0.1:2380', '--initial-cluster', 'n1=http://127.0.0.1:2380',
];

describe('deploy/restore-snapshot.mjs', () => {
  it('restores a backup into a new data dir that a member starts from with the same keys', async () => {
    const dir = await tempDir();
    const file = await backupOf(dir);
    const dataDir = join(dir, 'n1.cairn');
    const { stdout } = await run(process.execPath, restoreArgs(file, dataDir));
    expect(stdout).toMatch(new RegExp(`^restored ${file} into ${dataDir}: cluster [0-9a-f]+, members n1=[0-9a-f]+\\n$`));
    const node = await startNode({ name: 'n1', dataDir });
    try {
      const r = await node.range({ key: utf8('config/'), rangeEnd: utf8('config0') });
      expect(r.kvs.map((kv) => Buffer.from(kv.value).toString())).toEqual(['one', 'two']);
      expect((await node.memberList({})).members.map((m) => m.name)).toEqual(['n1']);
    } finally {
      await node.close();
    }
  }, 30_000);

  it('refuses a damaged file and a data dir that is in use, exiting 1', async () => {
    const dir = await tempDir();
    const file = await backupOf(dir);
    const dataDir = join(dir, 'n1.cairn');
    await run(process.execPath, restoreArgs(file, dataDir));
    await expect(run(process.execPath, restoreArgs(file, dataDir))).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('exists') });
    const damaged = join(dir, 'damaged.db');
    const bytes = await readFile(file);
    bytes[0] = (bytes[0] as number) ^ 0xff;
    await writeFile(damaged, bytes);
    await expect(run(process.execPath, restoreArgs(damaged, join(dir, 'n2.cairn')))).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('SHA-256 mismatch'),
    });
  }, 30_000);
});
