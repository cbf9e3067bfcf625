/**
 * The stores of one data directory and the pointer naming the active one. A snapshot install
 * builds a new store beside the live one and then moves the pointer, so a crash at any instant
 * leaves either the old store or the new one active, never a mix (etcd renames its received
 * `.snap.db` over the backend file for the same reason).
 *
 *   <dir>/db          the first store (a data dir that never installed a snapshot has only this)
 *   <dir>/db-<n>      later stores: staged by an install, active once the pointer names them
 *   <dir>/active-db   the pointer: the active store's name; absent means `db`
 *
 * The pointer is replaced atomically: written to a temporary file, fsynced, renamed over the old
 * one, and the directory fsynced so the rename itself survives a power cut (POSIX rename(2) is
 * atomic; the directory sync makes it durable). Store names are never reused, so a stale store
 * left by a crash is recognised and removed on the next open.
 */
import { open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KvError } from '../util/errors.js';
import type { OrderedKv } from './kv.js';
import { prepareDataDir } from './data-dir-files.js';

export const DEFAULT_STORE = 'db';
export const POINTER_FILE = 'active-db';
const STORE_NAME = /^db(?:-([1-9][0-9]{0,8}))?$/;

/** Steps of a pointer switch a test may crash at (see KvDir.setActive). */
export type SwitchStep = 'pointer-written';

export interface KvDir {
  /** Names the directory in error messages. */
  readonly label: string;
  /** The active store's name as durably recorded. */
  active(): Promise<string>;
  /** Makes `name` the active store, atomically and durably; `onStep` runs before the write is durable. */
  setActive(name: string, onStep?: (step: SwitchStep) => Promise<void>): Promise<void>;
  /** Opens (creating if missing) a store; StorageLocked if another process holds it. */
  open(name: string): Promise<OrderedKv>;
  /** Names of every store present: active, old or abandoned staging. */
  stores(): Promise<string[]>;
  remove(name: string): Promise<void>;
}

export function isStoreName(name: string): boolean {
  return STORE_NAME.test(name);
}

function generation(name: string): number {
  const m = STORE_NAME.exec(name);
  return m === null ? -1 : m[1] === undefined ? 0 : Number(m[1]);
}

/** A name newer than every one in `taken` (names are never reused). */
export function nextStoreName(taken: Iterable<string>): string {
  let max = 0;
  for (const name of taken) max = Math.max(max, generation(name));
  return `db-${max + 1}`;
}

export function checkStoreName(label: string, name: string): string {
  if (!isStoreName(name)) throw new KvError('StorageCorrupt', `${label}: ${POINTER_FILE} names "${name}", which is not a store of this data dir`);
  return name;
}

async function fsyncPath(path: string, flags: string): Promise<void> {
  const fh = await open(path, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface FsKvDirOptions {
  /** Where store `name` lives (default `<dir>/<name>`). */
  readonly location?: (name: string) => string;
  readonly openStore: (location: string, label: string) => Promise<OrderedKv>;
}

/** The stores of a directory on disk. */
export class FsKvDir implements KvDir {
  constructor(
    readonly label: string,
    private readonly o: FsKvDirOptions,
  ) {}

  private location(name: string): string {
    return this.o.location?.(name) ?? join(this.label, name);
  }

  async active(): Promise<string> {
    try {
      return checkStoreName(this.label, (await readFile(join(this.label, POINTER_FILE), 'utf8')).trim());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_STORE;
      throw err;
    }
  }

  async setActive(name: string, onStep?: (step: SwitchStep) => Promise<void>): Promise<void> {
    checkStoreName(this.label, name);
    const pointer = join(this.label, POINTER_FILE);
    const tmp = `${pointer}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(`${name}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, pointer);
    await onStep?.('pointer-written');
    await fsyncPath(this.label, 'r');
  }

  async open(name: string): Promise<OrderedKv> {
    const location = this.location(name);
    await prepareDataDir(location); // 0700, and a refusal names its errno
    return this.o.openStore(location, this.label);
  }

  async stores(): Promise<string[]> {
    return (await readdir(this.label)).filter(isStoreName);
  }

  async remove(name: string): Promise<void> {
    checkStoreName(this.label, name);
    const location = this.location(name);
    // Never the directory itself (a store kept at the top of the data dir): only named subdirectories.
    if (location === this.label) return;
    await rm(location, { recursive: true, force: true });
  }
}
