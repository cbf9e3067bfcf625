/**
 * Client commands must start fast (bench/RESULTS.md, "CLI start"): the modules `cairn get`
 * loads statically — main.ts and everything it imports at top level — include nothing of the
 * server (raft, storage, store, transport, http) and none of its heavy libraries. The server
 * loads through `await import()` only for `serve`, `repair` and `snapshot restore`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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

  it('a member does not load the certificate generator unless --auto-tls needs a certificate', () => {
    // selfsigned and @peculiar/x509 cost ~0.85 s of CPU at start-up, paid on every restart.
    const { packages } = closure(resolve(SRC, 'cli/serve.ts'));
    expect(packages.has('sorted-btree')).toBe(true);
    expect([...packages].filter((p) => p === 'selfsigned' || p.startsWith('@peculiar/'))).toEqual([]);
  });

  it('a client command never starts fetch(): undici and its WebAssembly parser stay unloaded', async () => {
    const server = createServer((_req, res) => res.end('{"header":{"revision":"2"},"kvs":[{"key":"Zm9v","value":"YmFy","create_revision":"2","mod_revision":"2","version":"1"}],"count":"1"}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'cairn-startup-'));
    // Node's own list of the built-in modules this process loaded, printed as it exits.
    const hook = join(dir, 'modules.mjs');
    writeFileSync(hook, "process.on('exit', () => process.stderr.write(`MODULES ${JSON.stringify(process.moduleLoadList)}\\n`));\n");
    try {
      const port = (server.address() as { port: number }).port;
      const child = spawn(process.execPath, ['--import', hook, resolve(SRC, '../bin/cairn.mjs'), 'get', 'foo', `--endpoints=127.0.0.1:${port}`]);
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const code = await new Promise((r) => child.on('exit', r));
      expect([code, out]).toEqual([0, 'foo\nbar\n']);
      const loaded = JSON.parse(/^MODULES (.*)$/m.exec(err)?.[1] ?? '[]') as string[];
      expect(loaded.some((m) => m.includes('internal/http'))).toBe(true);
      expect(loaded.filter((m) => m.includes('undici'))).toEqual([]);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
