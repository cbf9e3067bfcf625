/**
 * Enforces DESIGN.md's import rules: each layer of src/ imports only the layers below it, the
 * raft core stays pure (no node: modules, packages, clocks, timers or randomness), and the
 * module graph has no cycles. Run by `npm test` before the type check.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const srcDir = join(root, 'src');

/** Layer → layers it may import (besides itself). `cli` and the package root wire everything. */
const allowed: Record<string, readonly string[]> = {
  util: [],
  raft: ['util'],
  storage: ['util', 'raft'],
  store: ['util', 'storage'],
  transport: ['util', 'raft'],
  api: ['util'],
  server: ['util', 'raft', 'storage', 'store', 'transport', 'api'],
  // The dashboard's server half (src/ui/*.ts); its browser half (src/ui/web) imports only itself.
  ui: ['util', 'api'],
  http: ['util', 'api', 'server', 'ui'],
  grpc: ['util', 'api', 'http'],
  client: ['util', 'api'],
  cli: ['*'],
  '.': ['*'],
};

/** Layers that may not import npm packages or node: modules at all. */
const pureLayers = new Set(['raft']);

const impureInRaft: ReadonlyArray<[RegExp, string]> = [
  [/\bDate\.now\b|\bnew Date\b/, 'reads the wall clock'],
  [/\bMath\.random\b/, 'uses Math.random (take an Rng)'],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(/, 'uses a timer (raft is driven by tick())'],
  [/\bprocess\./, 'touches process'],
  [/\brequire\s*\(/, 'uses require'],
  [/\bperformance\.now\b/, 'reads a clock'],
];

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

function layerOf(file: string): string {
  const rel = relative(srcDir, file).split('/');
  return rel.length === 1 ? '.' : (rel[0] as string);
}

const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const problems: string[] = [];
const graph = new Map<string, string[]>();
const files = walk(srcDir);

for (const file of files) {
  const text = stripComments(readFileSync(file, 'utf8'));
  const layer = layerOf(file);
  const relFile = relative(root, file);
  const edges: string[] = [];
  for (const m of text.matchAll(importRe)) {
    const spec = (m[1] ?? m[2] ?? m[3]) as string;
    if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      edges.push(target);
      if (!target.startsWith(srcDir)) {
        problems.push(`${relFile}: imports ${spec}, outside src/`);
        continue;
      }
      const targetLayer = layerOf(target);
      const ok = allowed[layer] ?? [];
      if (targetLayer !== layer && !ok.includes('*') && !ok.includes(targetLayer)) {
        problems.push(`${relFile}: ${layer} may not import ${targetLayer}/ (${spec})`);
      }
    } else if (pureLayers.has(layer)) {
      problems.push(`${relFile}: src/${layer} must not import ${spec} (only its own files and src/util)`);
    }
  }
  graph.set(file, edges);
  if (layer === 'raft') {
    for (const [re, why] of impureInRaft) {
      if (re.test(text)) problems.push(`${relFile}: src/raft must stay pure, but it ${why}`);
    }
  }
}

// Cycle check: depth-first search with colouring.
const state = new Map<string, 'visiting' | 'done'>();
const stack: string[] = [];
function visit(file: string): void {
  state.set(file, 'visiting');
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    if (!graph.has(next)) continue;
    const s = state.get(next);
    if (s === 'visiting') {
      const cycle = stack.slice(stack.indexOf(next)).concat(next).map((f) => relative(root, f));
      problems.push(`import cycle: ${cycle.join(' -> ')}`);
    } else if (s === undefined) {
      visit(next);
    }
  }
  stack.pop();
  state.set(file, 'done');
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  console.error(`lint: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`lint: ${files.length} files, import rules hold`);
