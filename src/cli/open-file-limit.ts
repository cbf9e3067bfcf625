/**
 * The process's soft limit on open files (`ulimit -n`), which `--max-connections=0` halves.
 * Node has no getrlimit; Linux shows it in /proc/self/limits. Undefined elsewhere or when
 * unlimited (the caller then falls back to a fixed default).
 */
import { readFileSync } from 'node:fs';

export function parseOpenFileLimit(limits: string): number | undefined {
  const m = /^Max open files\s+(\d+)\s/m.exec(limits);
  return m ? Number(m[1]) : undefined;
}

export function openFileLimit(): number | undefined {
  try {
    return parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}
