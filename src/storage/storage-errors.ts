/**
 * What a storage failure was, in the operator's terms: the errno (ENOSPC, EROFS, EACCES, …)
 * and the path. Node's fs errors carry `code` and `path`; LevelDB's do not: classic-level wraps
 * the cause ("Database failed to open" → cause "IO error: <path>: No space left on device",
 * code LEVEL_IO_ERROR), so the errno is recovered from the strerror text LevelDB embeds.
 */
import { getSystemErrorMap } from 'node:util';

export interface StorageFailure {
  /** The errno name (`ENOSPC`), when one can be found. */
  readonly errno: string | undefined;
  /** The file or directory the failure names, when it names one. */
  readonly path: string | undefined;
  /** The innermost message (LevelDB's own text, or Node's). */
  readonly message: string;
}

/** strerror text (lower case) → errno name, from libuv's table plus glibc's wordings that differ. */
const ERRNO_BY_TEXT: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [name, text] of getSystemErrorMap().values()) m.set(text.toLowerCase(), name);
  m.set('input/output error', 'EIO');
  m.set('disk quota exceeded', 'EDQUOT');
  m.set('is a directory', 'EISDIR');
  return m;
})();

/** LevelDB's Status text: `IO error: <path>: <strerror>` (env_posix.cc PosixError). */
const LEVEL_IO_ERROR = /^IO error: (.*): ([^:]+)$/;

const DEPTH_LIMIT = 8;

/** The chain err, err.cause, err.cause.cause, … (bounded: a cause cycle must not hang). */
function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && chain.length < DEPTH_LIMIT; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/** Finds the errno and path of a storage error, digging through classic-level's `cause`. */
export function storageFailure(err: unknown): StorageFailure {
  const chain = causes(err);
  const innermost = chain[chain.length - 1] as { message?: unknown } | undefined;
  const message = typeof innermost?.message === 'string' ? innermost.message : String(innermost ?? err);
  for (const e of chain) {
    const { code, path, message: text } = e as { code?: unknown; path?: unknown; message?: unknown };
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return { errno: code, path: typeof path === 'string' ? path : undefined, message };
    const level = typeof text === 'string' ? LEVEL_IO_ERROR.exec(text) : null;
    if (level !== null) return { errno: ERRNO_BY_TEXT.get((level[2] as string).trim().toLowerCase()), path: level[1], message };
  }
  return { errno: undefined, path: undefined, message };
}

/** One line for logs and start-up errors: `ENOSPC (/data/db/000003.log): IO error: …`. */
export function describeStorageFailure(err: unknown): string {
  const f = storageFailure(err);
  const where = f.path !== undefined ? ` (${f.path})` : '';
  return f.errno !== undefined ? `${f.errno}${where}: ${f.message}` : f.message;
}
