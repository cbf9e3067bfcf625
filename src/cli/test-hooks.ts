/**
 * TEST-ONLY hooks for the chaos harness (test/chaos), read from the environment by `cairn serve`.
 * None is set in production; each changes how the member's data dir behaves so real processes
 * can meet faults a production cluster meets:
 *  - `CAIRN_TEST_DISK=file`: the power-loss disk (src/storage/file-disk.ts): a SIGKILL loses
 *    every write since the last synced batch, like a power cut; `file-nosync` is the same disk
 *    broken on purpose (acknowledges fsync, writes nothing) to prove the chaos checks can fail;
 *  - `CAIRN_TEST_SYNC_DELAY_MS=N` (or a file named by `CAIRN_TEST_SYNC_DELAY_FILE` holding N,
 *    re-read every second so the harness can slow a running member's disk): each synced batch
 *    waits N ms first — a slow fsync;
 *  - `CAIRN_TEST_FULL_DISK_FILE=path`: while that file exists, every write fails as LevelDB's
 *    does on a full disk (ENOSPC) — the member must log it and the process exit non-zero.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirIn, type DataDir } from '../storage/data-dir.js';
import { prepareDataDir } from '../storage/data-dir-files.js';
import { DEFAULT_STORE, FsKvDir } from '../storage/kv-dir.js';
import { FileDiskKv } from '../storage/file-disk.js';
import type { KvOp, KvSnapshot, OrderedKv } from '../storage/kv.js';
import type { IterateOptions } from '../storage/backend.js';
import { KvError } from '../util/errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** An OrderedKv that hands everything to `inner`; the hooks below override what they change. */
class KvWrapper implements OrderedKv {
  readonly label: string;
  constructor(protected readonly inner: OrderedKv) {
    this.label = inner.label;
  }
  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.inner.get(key);
  }
  iterate(options: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]> {
    return this.inner.iterate(options);
  }
  keys(options: IterateOptions): AsyncIterable<Uint8Array> {
    return this.inner.keys(options);
  }
  snapshot(): KvSnapshot {
    return this.inner.snapshot();
  }
  compactRange(start: Uint8Array, end: Uint8Array): Promise<void> {
    return this.inner.compactRange(start, end);
  }
  sizeBytes(): Promise<number> {
    return this.inner.sizeBytes();
  }
  batch(ops: readonly KvOp[], options: { readonly sync: boolean }): Promise<void> {
    return this.inner.batch(ops, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Delays synced batches by the configured time; unsynced writes pass straight through. */
class SlowSyncKv extends KvWrapper {
  private delayMs: number;
  private tail: Promise<void> = Promise.resolve();
  private readTimer: ReturnType<typeof setInterval> | undefined;

  constructor(inner: OrderedKv, fixedMs: number, delayFile: string | undefined) {
    super(inner);
    this.delayMs = fixedMs;
    if (delayFile !== undefined) {
      const read = () => {
        try {
          this.delayMs = Math.max(0, Number(readFileSync(delayFile, 'utf8').trim()) || 0);
        } catch {
          this.delayMs = fixedMs;
        }
      };
      read();
      this.readTimer = setInterval(read, 1000);
      this.readTimer.unref();
    }
  }

  /** Batches go through one queue so a delayed synced batch never lets later ones overtake it. */
  override batch(ops: readonly KvOp[], options: { readonly sync: boolean }): Promise<void> {
    const delay = options.sync ? this.delayMs : 0;
    const done = this.tail.then(async () => {
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      await this.inner.batch(ops, options);
    });
    this.tail = done.catch(() => undefined);
    return done;
  }
  override async close(): Promise<void> {
    if (this.readTimer !== undefined) clearInterval(this.readTimer);
    await this.inner.close();
  }
}

/**
 * A disk that fills up: while `flagFile` exists every batch fails as LevelDB's does on a full
 * disk (classic-level's LEVEL_IO_ERROR with the strerror text), writing nothing.
 */
class FullDiskKv extends KvWrapper {
  constructor(
    inner: OrderedKv,
    private readonly full: () => boolean,
  ) {
    super(inner);
  }

  override batch(ops: readonly KvOp[], options: { readonly sync: boolean }): Promise<void> {
    if (!this.full()) return this.inner.batch(ops, options);
    const err = Object.assign(new Error(`IO error: ${this.label}/db/000003.log: No space left on device`), { code: 'LEVEL_IO_ERROR' });
    return Promise.reject(err);
  }
}

/** True when any test hook is requested (serve.ts then uses `openTestDataDir`). */
export function testHooksRequested(env: Env = process.env): boolean {
  return ['CAIRN_TEST_DISK', 'CAIRN_TEST_SYNC_DELAY_MS', 'CAIRN_TEST_SYNC_DELAY_FILE', 'CAIRN_TEST_FULL_DISK_FILE'].some((name) => env[name] !== undefined);
}

/**
 * Opens `dir` with the requested test hooks; `openLevel` opens an ordinary LevelDB store (for a
 * slow disk over LevelDB). A file disk keeps its first store's log at the top of `dir` and a
 * store staged by a snapshot install in `<dir>/<name>` (powerCut cuts them all).
 */
export async function openTestDataDir(dir: string, openLevel: (location: string, label: string) => Promise<OrderedKv>, env: Env = process.env): Promise<DataDir> {
  await prepareDataDir(dir);
  const disk = env['CAIRN_TEST_DISK'];
  let openStore: (location: string, label: string) => Promise<OrderedKv>;
  if (disk === 'file') openStore = (location) => FileDiskKv.open(location);
  else if (disk === 'file-nosync') openStore = (location) => FileDiskKv.open(location, { lieAboutSync: true });
  else if (disk === undefined || disk === 'level') openStore = openLevel;
  else throw new KvError('InvalidArgument', `CAIRN_TEST_DISK=${disk}: expected "file", "file-nosync" or "level"`);
  const delayMs = Number(env['CAIRN_TEST_SYNC_DELAY_MS'] ?? '0');
  const delayFile = env['CAIRN_TEST_SYNC_DELAY_FILE'];
  const slow = delayMs > 0 || delayFile !== undefined;
  const fullFlag = env['CAIRN_TEST_FULL_DISK_FILE'];
  const fileDisk = disk === 'file' || disk === 'file-nosync';
  return dataDirIn(
    new FsKvDir(dir, {
      location: (name) => (fileDisk && name === DEFAULT_STORE ? dir : join(dir, name)),
      openStore: async (location, label) => {
        let kv = await openStore(location, label);
        if (slow) kv = new SlowSyncKv(kv, delayMs, delayFile);
        if (fullFlag !== undefined) kv = new FullDiskKv(kv, () => existsSync(fullFlag));
        return kv;
      },
    }),
  );
}
