import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/util/rng.js';
import { checkKvHistory } from './check-kv.js';
import { generateKvHistory } from './generate.js';
import type { Operation } from './history.js';
import type { KvInput, KvOutput } from './kv-model.js';

type KvOp = Operation<KvInput, KvOutput>;

const gets = (ops: readonly KvOp[]): KvOp[] => ops.filter((op) => op.status === 'ok' && op.input.op === 'get');

/** Returns a copy where op `id`'s read output is replaced. */
function withRead(ops: readonly KvOp[], id: number, value: string, modRevision: number | undefined): KvOp[] {
  return ops.map((op) => {
    if (op.id !== id || op.output?.op !== 'get') return op;
    return { ...op, output: { ...op.output, value, ...(modRevision === undefined ? {} : { modRevision }) } };
  });
}

describe('randomized histories from a sequential run', () => {
  /** `CHECKER_SEEDS=5000 npx vitest run test/checker` for a deeper run. */
  const seeds = Array.from({ length: Number(process.env['CHECKER_SEEDS'] ?? 60) }, (_, i) => i + 1);
  const options = { ops: 80, keys: 3, clients: 4, unknownRate: 0.1, phantomRate: 0.5, failedRate: 0.05 };

  it('accepts every generated history, and rejects it once a read sees a value never written', () => {
    for (const seed of seeds) {
      const rng = new SeededRng(seed);
      const ops = generateKvHistory(rng, options);
      const report = checkKvHistory(ops);
      expect(report.result, `seed ${seed}\n${report.text}`).toBe('ok');
      const reads = gets(ops);
      if (reads.length === 0) continue;
      const victim = reads[rng.int(reads.length)] as KvOp;
      const mutated = checkKvHistory(withRead(ops, victim.id, 'never-written', undefined));
      expect(mutated.result, `seed ${seed}: read #${victim.id} mutated`).toBe('illegal');
      expect(mutated.linearizability.result).toBe('illegal');
    }
  });

  it('rejects a read that sees a value written only after the read returned', () => {
    let mutatedCount = 0;
    for (const seed of seeds) {
      const rng = new SeededRng(seed);
      const ops = generateKvHistory(rng, options);
      const pairs = gets(ops).flatMap((read) =>
        ops
          .filter((w) => w.input.op === 'put' && w.input.key === read.input.key && w.call > read.return)
          .map((w) => [read, w] as const),
      );
      if (pairs.length === 0) continue;
      const [read, write] = pairs[rng.int(pairs.length)]!;
      const value = write.input.op === 'put' ? write.input.value : '';
      const mod = write.output?.revision;
      const report = checkKvHistory(withRead(ops, read.id, value, mod));
      expect(report.linearizability.result, `seed ${seed}: read #${read.id} ← write #${write.id}`).toBe('illegal');
      mutatedCount++;
    }
    expect(mutatedCount).toBeGreaterThan(seeds.length / 2);
  });

  it('is deterministic for a seed', () => {
    const a = generateKvHistory(new SeededRng(7), options);
    const b = generateKvHistory(new SeededRng(7), options);
    expect(a).toEqual(b);
    expect(a.some((op) => op.status === 'unknown')).toBe(true);
    expect(a.some((op) => op.status === 'failed')).toBe(true);
  });
});

describe('performance', () => {
  it('checks 2,000 ops over 20 keys from 5 clients in well under a few seconds', () => {
    const ops = generateKvHistory(new SeededRng(2026), { ops: 2000, keys: 20, clients: 5, unknownRate: 0.05, phantomRate: 0.5 });
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const report = checkKvHistory(ops);
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMillis = (cpu.user + cpu.system) / 1000;
    expect(report.result, report.text).toBe('ok');
    expect(report.linearizability.partitions).toHaveLength(20);
    console.log(`checked ${ops.length} ops: ${cpuMillis.toFixed(0)} ms CPU, ${(performance.now() - started).toFixed(0)} ms wall`);
    // CPU time, not wall time: CI's 2 cores are shared, and load stretches wall time many-fold.
    expect(cpuMillis).toBeLessThan(2_000);
  });

  it('keeps a hot key with 20 clients and unknown writes tractable (search order regression)', () => {
    const ops = generateKvHistory(new SeededRng(1), { ops: 1500, keys: 1, clients: 20, unknownRate: 0.05, phantomRate: 0 });
    const report = checkKvHistory(ops, { maxMillis: 5_000 });
    expect(report.result, report.text).toBe('ok');
    expect(report.linearizability.partitions[0]?.steps).toBeLessThan(20_000);
  });
});
