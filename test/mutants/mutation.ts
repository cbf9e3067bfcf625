import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The shape of one catalog entry for `npm run mutants` (scripts/mutants.ts). Every file named
 * `test/mutants/*catalog.ts` exports `catalog: Mutation[]`; the runner loads them all, so adding
 * a catalog is adding a file.
 */
export interface Mutation {
  /** Unique, kebab-case: what the mutation breaks (`figure8-commit-old-term`). */
  readonly name: string;
  /** Path from the repository root. */
  readonly file: string;
  /**
   * Exact text to replace; it must occur exactly once in `file`, so the entry breaks loudly
   * (a "stale" row, non-zero exit) when the code it mutates moves or changes.
   */
  readonly find: string;
  readonly replace: string;
  /**
   * The fastest layer that must catch it: vitest files (run as `vitest run <files>`), or a shell
   * command (`{ command }`, e.g. a simulator run over a seed range) that must exit non-zero.
   */
  readonly tests: readonly string[] | { readonly command: string };
  /** The rule it breaks, with its source (raft-pitfalls item, etcd issue, the Raft thesis). */
  readonly why: string;
}

/** A label for the layer column of the report. */
export function layerOf(m: Mutation): string {
  if (!Array.isArray(m.tests)) return (m.tests as { command: string }).command;
  return (m.tests as readonly string[]).join(' ');
}

/** Entries whose name is used twice, or whose fields are empty (the runner refuses them). */
export function catalogProblems(all: readonly Mutation[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const m of all) {
    if (seen.has(m.name)) problems.push(`${m.name}: name used twice`);
    seen.add(m.name);
    if (m.find.length === 0 || m.find === m.replace) problems.push(`${m.name}: find must be non-empty and differ from replace`);
    const tests = Array.isArray(m.tests) ? m.tests : [(m.tests as { command: string }).command];
    if (tests.length === 0 || tests.some((t) => t.trim().length === 0)) problems.push(`${m.name}: no test layer`);
  }
  return problems;
}

/** Every `catalog` exported by a `*catalog.ts` file of `dir`, in file-name order. */
export async function loadCatalogs(dir: string): Promise<Mutation[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('catalog.ts')).sort();
  const all: Mutation[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { catalog?: Mutation[] };
    if (!Array.isArray(mod.catalog)) throw new Error(`${f} does not export catalog: Mutation[]`);
    all.push(...mod.catalog);
  }
  return all;
}

function occurrences(text: string, find: string): number {
  let n = 0;
  for (let i = text.indexOf(find); i >= 0; i = text.indexOf(find, i + find.length)) n++;
  return n;
}

/** Why `m` cannot be applied to the tree at `root` as written (stale), or undefined when it can. */
export function staleReason(root: string, m: Mutation): string | undefined {
  const path = join(root, m.file);
  if (!existsSync(path)) return `${m.file} does not exist`;
  const n = occurrences(readFileSync(path, 'utf8'), m.find);
  if (n !== 1) return `find text occurs ${n} times in ${m.file} (must be exactly once)`;
  if (Array.isArray(m.tests)) {
    const missing = (m.tests as readonly string[]).filter((t) => !existsSync(join(root, t)));
    if (missing.length > 0) return `test file(s) missing: ${missing.join(', ')}`;
  }
  return undefined;
}
