/**
 * Shared by the WAL benches: machine facts and writing one bench's section of bench/RESULTS.md
 * (between its own markers, so other benches' sections are left alone).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const resultsPath = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

export function machineFacts(dir: string): string {
  let fs = 'unknown';
  try {
    const line = execFileSync('df', ['-T', dir], { encoding: 'utf8' }).trim().split('\n')[1] ?? '';
    const cols = line.split(/\s+/);
    fs = `${cols[1]} on ${cols[0]}`;
  } catch {
    // df missing: report unknown
  }
  const cpu = cpus();
  return [
    `- CPU: ${cpu[0]?.model ?? 'unknown'} × ${cpu.length} cores; RAM ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node ${process.version}; data dir ${dir} (${fs})`,
    `- load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (the machine is shared: other work inflates latencies)`,
    `- date: ${new Date().toISOString()}`,
  ].join('\n');
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

export function latencySummary(samplesMs: number[]): { p50: number; p99: number; mean: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

/** Replaces (or appends) the section between `<!-- name:start -->` and `<!-- name:end -->`. */
export function writeSection(name: string, markdown: string): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const current = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '# Benchmark results\n\nEach section: the exact command, the machine, the numbers. Benchmarks are not tests.\n';
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next = from >= 0 && to > from ? current.slice(0, from) + block + current.slice(to + end.length) : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(resultsPath, next);
  console.log(`wrote section ${name} of ${resultsPath}`);
}
