/**
 * Client commands must start fast (bench/RESULTS.md, "CLI start"): the modules `cairn get`
 * loads statically — main.ts and everything it imports at top level — include nothing of the
 * server (raft, storage, store, transport, http) and none of its heavy libraries. The server
 * loads through `await import()` only for `serve`, `repair` and `snapshot restore`.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');
const SERVER_ONLY = /^(raft|storage|store|transport|http|server)\//;
const HEAVY_LIBS = ['fastify', 'level', 'classic-level', 'pino', 'prom-client', 'msgpackr', '@node-rs/crc32', 'sorted-btree'];

/** Static value imports (`import … from`, `export … from`), not `import type` nor `import()`. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)';/gms)) specs.push(m[1] as string);
  for (const m of text.matchAll(/^import\s+'([^']+)';/gm)) specs.push(m[1] as string);
  return specs;
}

function closure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  }
  return { files, packages };
}

describe('cairn CLI start-up', () => {
  it('client commands load only the client, the API types, util and the CLI', () => {
    const { files, packages } = closure(resolve(SRC, 'cli/main.ts'));
    const relative = [...files].map((f) => f.slice(SRC.length + 1));
    expect(relative).toContain('cli/commands/registry.ts');
    expect(relative).toContain('client/client.ts');
    expect(relative.filter((f) => SERVER_ONLY.test(f))).toEqual([]);
    expect([...packages].filter((p) => HEAVY_LIBS.some((h) => p === h || p.startsWith(`${h}/`)))).toEqual([]);
  });
});
