/**
 * The data directory on disk, with etcd's permissions (fileutil.TouchDirAll, CheckDirPermission):
 * directories are created 0700 whatever the umask, and an existing data dir others can read is
 * reported with its mode. Directories are created one level at a time, not with a recursive
 * mkdir, because Node's recursive mkdir reports ENOENT for a parent it could not create on a
 * read-only file system; one level at a time, the error is the real one (EROFS, EACCES, ENOSPC).
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KvError } from '../util/errors.js';
import { describeStorageFailure } from './storage-errors.js';

/** etcd's PrivateDirMode. */
export const PRIVATE_DIR_MODE = 0o700;
/** etcd's PrivateFileMode. */
export const PRIVATE_FILE_MODE = 0o600;

export type DataDirWarning = (fields: Record<string, unknown>, msg: string) => void;

/** `ls -l`'s rendering of a directory's mode (`drwxr-xr-x`), as etcd's warning prints it. */
export function modeString(mode: number, kind = 'd'): string {
  const bits = 'rwxrwxrwx';
  let out = kind;
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? bits[i] : '-';
  return out;
}

async function isDirectory(path: string): Promise<boolean | undefined> {
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function failed(dir: string, err: unknown): KvError {
  return new KvError('StorageFailed', `${dir}: cannot create the data directory: ${describeStorageFailure(err)}`);
}

/** Creates the missing directories of `dir`, each 0700; the error names the real errno. */
async function makeDirs(dir: string): Promise<void> {
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    const exists = await isDirectory(at).catch((err: unknown) => {
      throw failed(dir, err);
    });
    if (exists === true) break;
    if (exists === false) throw new KvError('StorageFailed', `${dir}: cannot create the data directory: ENOTDIR (${at}): not a directory`);
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const path of missing) {
    try {
      await mkdir(path, { mode: PRIVATE_DIR_MODE });
      await chmod(path, PRIVATE_DIR_MODE); // mkdir's mode is masked by the umask
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && (await isDirectory(path)) === true) continue;
      throw failed(dir, err);
    }
  }
}

/**
 * Makes sure `dir` exists as a private directory: creates it 0700, or warns (etcd's words) when
 * an existing one is open to group or others. An existing directory's mode is left as it is.
 */
export async function prepareDataDir(dir: string, warn?: DataDirWarning): Promise<void> {
  const exists = await isDirectory(dir).catch((err: unknown) => {
    throw failed(dir, err);
  });
  if (exists === undefined) return makeDirs(dir);
  if (exists === false) throw new KvError('StorageFailed', `${dir}: cannot create the data directory: ENOTDIR (${dir}): a file is in the way`);
  const mode = (await stat(dir)).mode & 0o777;
  if ((mode & ~PRIVATE_DIR_MODE) !== 0) {
    warn?.(
      { path: dir, mode: modeString(mode), recommended: modeString(PRIVATE_DIR_MODE, '-') },
      `check file permission: directory "${dir}" exist, but the permission is "${modeString(mode)}". The recommended permission is "${modeString(PRIVATE_DIR_MODE, '-')}" to prevent possible unprivileged access to the data`,
    );
  }
}
