/**
 * `npm run mutants -- [--only a,b] [--jobs 1] [--timeout-s 900] [--baseline] [--list] [--verbose] [--markdown]`
 *
 * Mutation testing by catalog: applies each named mutation of `test/mutants/*catalog.ts`, one at
 * a time, to a scratch copy of the tree under the OS temp dir (node_modules symlinked; the real
 * tree is never written), runs the fastest test layer that should catch it, and prints a table
 * of name, layer, caught/missed and time. Exit code 1 if any mutation is missed, if its `find`
 * text no longer occurs exactly once (stale: the code moved), or if a layer could not run.
 * `--baseline` first runs every layer on the unmutated copy: a layer that already fails proves
 * nothing about its mutations. `--jobs N` runs N mutations at once, each in its own copy.
 */
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { catalogProblems, layerOf, loadCatalogs, staleReason, type Mutation } from '../test/mutants/mutation.js';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const catalogDir = join(root, 'test', 'mutants');

type Outcome = 'caught' | 'missed' | 'stale' | 'timeout' | 'error';
interface Row {
  readonly m: Mutation;
  readonly outcome: Outcome;
  readonly seconds: number;
  readonly detail: string;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function positiveInt(name: string, fallback: number): number {
  const v = flag(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} wants a positive integer, got ${v}`);
  return n;
}

/** A copy of the working tree (tracked and untracked, not ignored files) with node_modules linked. */
function makeScratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-mutants-'));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter((f) => f !== '');
  for (const f of files) {
    const from = join(root, f);
    if (!existsSync(from)) continue; // deleted in the working tree but still tracked
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(from, join(dir, f));
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

function commandOf(m: Mutation): string {
  return Array.isArray(m.tests) ? `npx vitest run ${(m.tests as readonly string[]).join(' ')}` : (m.tests as { command: string }).command;
}

interface RunResult {
  readonly code: number | null;
  readonly timedOut: boolean;
  readonly output: string;
}

/** Runs `command` in `cwd` in its own process group, killing the whole group on timeout. */
function run(command: string, cwd: string, timeoutMs: number): Promise<RunResult> {
  return new Promise((done) => {
    const child = spawn('sh', ['-c', command], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    const keep = (b: Buffer): void => {
      output = (output + b.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, timedOut, output });
    });
  });
}

async function tryMutation(m: Mutation, scratch: string, timeoutMs: number): Promise<Row> {
  const stale = staleReason(root, m);
  if (stale !== undefined) return { m, outcome: 'stale', seconds: 0, detail: stale };
  const path = join(scratch, m.file);
  const original = readFileSync(path, 'utf8');
  writeFileSync(path, original.replace(m.find, m.replace));
  const started = performance.now();
  try {
    const r = await run(commandOf(m), scratch, timeoutMs);
    const seconds = (performance.now() - started) / 1000;
    const lines = r.output.trim().split('\n');
    // What failed (the simulators' "failure:" line, vitest's FAIL/✗ lines), then the tail.
    const verdict = lines.filter((l) => /FAIL|failure:|AssertionError|✗|×/.test(l)).slice(0, 8);
    const tail = [...verdict, '…', ...lines.slice(-12)].join('\n');
    if (r.timedOut) return { m, outcome: 'timeout', seconds, detail: `no verdict within ${timeoutMs / 1000} s\n${tail}` };
    return { m, outcome: r.code === 0 ? 'missed' : 'caught', seconds, detail: tail };
  } finally {
    writeFileSync(path, original);
  }
}

function table(rows: readonly Row[]): string {
  const head = ['mutation', 'layer', 'result', 'time'];
  const body = rows.map((r) => [r.m.name, layerOf(r.m), r.outcome, `${r.seconds.toFixed(1)} s`]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

async function main(): Promise<number> {
  const all = await loadCatalogs(catalogDir);
  const problems = catalogProblems(all);
  if (problems.length > 0) throw new Error(`catalog problems:\n${problems.join('\n')}`);
  const only = flag('only')?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (only !== undefined) {
    const unknown = only.filter((n) => !all.some((m) => m.name === n));
    if (unknown.length > 0) throw new Error(`--only names no catalog entry: ${unknown.join(', ')}`);
  }
  const chosen = only === undefined ? all : all.filter((m) => only.includes(m.name));
  if (process.argv.includes('--list')) {
    for (const m of chosen) console.log(`${m.name.padEnd(36)} ${m.file}  [${layerOf(m)}]\n${' '.repeat(37)}${m.why}`);
    return 0;
  }
  const jobs = Math.min(positiveInt('jobs', 1), Math.max(1, chosen.length));
  const timeoutMs = positiveInt('timeout-s', 900) * 1000;
  const verbose = process.argv.includes('--verbose');
  const scratches = Array.from({ length: jobs }, makeScratch);
  const cleanup = (): void => {
    for (const d of scratches) rmSync(d, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const started = performance.now();
  try {
    const failingLayers = new Set<string>();
    if (process.argv.includes('--baseline')) {
      for (const cmd of new Set(chosen.map(commandOf))) {
        const r = await run(cmd, scratches[0] as string, timeoutMs);
        console.log(`baseline ${r.code === 0 && !r.timedOut ? 'passes' : 'FAILS'}: ${cmd}`);
        if (r.code !== 0 || r.timedOut) failingLayers.add(cmd);
      }
    }
    console.log(`${chosen.length} mutations, ${jobs} at a time, scratch copies in ${tmpdir()}`);
    const rows: Row[] = [];
    let next = 0;
    const worker = async (scratch: string): Promise<void> => {
      for (let i = next++; i < chosen.length; i = next++) {
        const m = chosen[i] as Mutation;
        const row = failingLayers.has(commandOf(m))
          ? { m, outcome: 'error' as const, seconds: 0, detail: 'its layer fails without the mutation' }
          : await tryMutation(m, scratch, timeoutMs);
        rows[i] = row;
        console.log(`${row.outcome.padEnd(7)} ${m.name} (${row.seconds.toFixed(1)} s)`);
        if (verbose || row.outcome === 'stale' || row.outcome === 'error') console.log(row.detail.replace(/^/gm, '    '));
      }
    };
    await Promise.all(scratches.map(worker));
    const secs = (performance.now() - started) / 1000;
    console.log(`\n${table(rows)}\n`);
    if (process.argv.includes('--markdown')) {
      // The catalog table of docs/testing.md.
      console.log('| mutation | file | layer | rule it breaks | result | time |\n|---|---|---|---|---|---|');
      for (const r of rows) console.log(`| \`${r.m.name}\` | \`${r.m.file}\` | \`${layerOf(r.m)}\` | ${r.m.why} | ${r.outcome} | ${r.seconds.toFixed(0)} s |`);
      console.log('');
    }
    const bad = rows.filter((r) => r.outcome !== 'caught');
    const caught = rows.length - bad.length;
    console.log(`${caught}/${rows.length} caught in ${secs.toFixed(0)} s (${jobs} job${jobs > 1 ? 's' : ''})`);
    for (const r of bad) console.log(`NOT CAUGHT: ${r.m.name} (${r.outcome}) — ${r.m.why}`);
    return bad.length === 0 ? 0 : 1;
  } finally {
    cleanup();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error((err as Error).message);
    process.exitCode = 1;
  },
);
