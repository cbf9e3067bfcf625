/**
 * Start-up errors name the errno and the path (issue 15 item 5), and a new data dir is private
 * (0700) whatever the umask, as etcd's. Tests run as root, where chmod does not stop anyone, so
 * the refusals come from things root cannot get past: a file where a directory must be, a
 * directory where LevelDB's LOCK file must be. ENOSPC and EROFS wordings are checked on
 * LevelDB's own error shape (`storageFailure`), since a full or read-only disk needs privileges.
 */
import { mkdtemp, mkdir, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { levelLocation, openDataDir } from '../../src/storage/data-dir.js';
import { modeString } from '../../src/storage/data-dir-files.js';
import { describeStorageFailure, storageFailure } from '../../src/storage/storage-errors.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cairn-open-errors-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** classic-level's shape: a ModuleError whose cause carries LevelDB's Status text. */
function levelOpenError(statusText: string): Error {
  return Object.assign(new Error('Database failed to open'), {
    code: 'LEVEL_DATABASE_NOT_OPEN',
    cause: Object.assign(new Error(statusText), { code: 'LEVEL_IO_ERROR' }),
  });
}

describe('storage failures name errno and path', () => {
  it('digs the errno out of classic-level\'s cause for a full, read-only or forbidden disk', () => {
    expect(storageFailure(levelOpenError('IO error: /d/db/MANIFEST-000001: No space left on device'))).toMatchObject({ errno: 'ENOSPC', path: '/d/db/MANIFEST-000001' });
    expect(storageFailure(levelOpenError('IO error: /d/db/LOCK: Read-only file system'))).toMatchObject({ errno: 'EROFS', path: '/d/db/LOCK' });
    expect(storageFailure(levelOpenError('IO error: /d/db/LOCK: Permission denied'))).toMatchObject({ errno: 'EACCES' });
    expect(storageFailure(levelOpenError('IO error: /d/db/000003.log: Input/output error'))).toMatchObject({ errno: 'EIO' });
    expect(describeStorageFailure(levelOpenError('IO error: /d/db/LOCK: Read-only file system'))).toBe('EROFS (/d/db/LOCK): IO error: /d/db/LOCK: Read-only file system');
  });

  it('a file where the data dir\'s parent must be: ENOTDIR with the path, not a bare ENOENT', async () => {
    await writeFile(join(root, 'file'), 'x');
    const dir = join(root, 'file', 'member');
    const err = await openDataDir(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'StorageFailed' });
    expect((err as Error).message).toContain('ENOTDIR');
    expect((err as Error).message).toContain(dir);
  });

  it('LevelDB refusing to open: the errno and the file, not just "Database failed to open"', async () => {
    const dir = join(root, 'member');
    // LevelDB opens <db>/LOCK for writing: a directory in its place fails with EISDIR, even for root.
    await mkdir(join(levelLocation(dir), 'LOCK'), { recursive: true });
    const err = await openDataDir(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'StorageFailed' });
    expect((err as Error).message).toMatch(/EISDIR \(.*LOCK\)/);
  });
});

describe('data dir permissions', () => {
  let umask: number;
  beforeEach(() => {
    umask = process.umask(0); // the loosest umask: mkdir alone would leave 0777
  });
  afterEach(() => {
    process.umask(umask);
  });

  // 0: mkdir alone would leave 0777; 0o277: mkdir(…, 0o700) alone would leave 0500.
  it.each([0, 0o277])('creates the data dir, its missing parents and the LevelDB dir 0700 under umask %o', async (mask) => {
    process.umask(mask);
    const dir = join(root, 'parent', 'member');
    const dataDir = await openDataDir(dir);
    await dataDir.close();
    for (const path of [join(root, 'parent'), dir, levelLocation(dir)]) expect(modeString((await stat(path)).mode & 0o777)).toBe('drwx------');
  });

  it('warns, with the mode, about an existing data dir others can read, and leaves the mode alone', async () => {
    const dir = join(root, 'member');
    await mkdir(dir);
    await chmod(dir, 0o755);
    const warnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
    const dataDir = await openDataDir(dir, (fields, msg) => warnings.push({ fields, msg }));
    await dataDir.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({ path: dir, mode: 'drwxr-xr-x' });
    expect(warnings[0]?.msg).toContain('"drwxr-xr-x"');
    expect((await stat(dir)).mode & 0o777).toBe(0o755);
  });

  it('says nothing about a private data dir', async () => {
    const dir = join(root, 'member');
    const first = await openDataDir(dir);
    await first.close();
    const warnings: string[] = [];
    const again = await openDataDir(dir, (_f, msg) => warnings.push(msg));
    await again.close();
    expect(warnings).toEqual([]);
  });
});
