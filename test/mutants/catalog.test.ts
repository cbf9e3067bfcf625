/**
 * Keeps the mutation catalogs honest between runs of `npm run mutants` (which takes minutes):
 * every entry still applies to the code it names (its `find` text occurs exactly once), names
 * are unique, and docs/testing.md lists every mutation.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogProblems, loadCatalogs, staleReason } from './mutation.js';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..', '..');

describe('mutation catalogs', async () => {
  const all = await loadCatalogs(join(root, 'test', 'mutants'));

  it('have at least 20 well-formed entries with unique names', () => {
    expect(all.length).toBeGreaterThanOrEqual(20);
    expect(catalogProblems(all)).toEqual([]);
  });

  it('still apply: each find text occurs exactly once in its file and each test file exists', () => {
    const stale = all.map((m) => [m.name, staleReason(root, m)]).filter(([, why]) => why !== undefined);
    expect(stale, 'update the find text of these entries to the code as it is now').toEqual([]);
  });

  it('are all listed in docs/testing.md', () => {
    const doc = readFileSync(join(root, 'docs', 'testing.md'), 'utf8');
    for (const m of all) expect(doc, `${m.name} is in the catalog table`).toContain(`| \`${m.name}\` |`);
  });
});
