/**
 * `npx tsx scripts/chaos-report.ts SUMMARY...`: turns `npm run chaos -- --summary FILE` output
 * into the runs table of docs/reliability.md (one row per run) and the totals under it:
 * seconds of faults, operations by outcome, watch events, faults injected.
 */
import { readFileSync } from 'node:fs';

interface Run {
  readonly seed: number;
  readonly size: string;
  readonly durationS: number;
  readonly disk: string;
  readonly result: string;
  readonly wallS: number;
  readonly ops: [number, number, number, number];
  readonly watchEvents: number;
  readonly faults: string;
  readonly faultCount: number;
  readonly decodeProblems: number;
}

function parse(text: string): Run[] {
  const runs: Run[] = [];
  for (const block of text.split(/\n(?=\d{4}-\d\d-\d\dT[^ ]+ --duration)/)) {
    const head = /--duration (\d+) --size (\d) --faults (\S+) --disk (\S+)/.exec(block);
    const verdict = /chaos seed (\d+): (PASS|FAIL) in (\d+) s/.exec(block);
    const ops = /operations (\d+): ok (\d+), failed (\d+), unknown (\d+); watch events checked (\d+)/.exec(block);
    const faults = /^faults: (.*)$/m.exec(block);
    const kinds = /^by kind: (.*)$/m.exec(block)?.[1] ?? '';
    if (head === null || verdict === null || ops === null) continue;
    const faultText = faults?.[1] ?? '';
    runs.push({
      seed: Number(verdict[1]),
      size: head[2] as string,
      durationS: Number(head[1]),
      disk: head[4] as string,
      result: verdict[2] as string,
      wallS: Number(verdict[3]),
      ops: [Number(ops[1]), Number(ops[2]), Number(ops[3]), Number(ops[4])],
      watchEvents: Number(ops[5]),
      faults: faultText,
      faultCount: [...faultText.matchAll(/=(\d+)/g)].reduce((s, m) => s + Number(m[1]), 0),
      decodeProblems: [...kinds.matchAll(/transport: [^=]*=(\d+)/g)].reduce((s, m) => s + Number(m[1]), 0),
    });
  }
  return runs;
}

const runs = process.argv.slice(2).flatMap((f) => parse(readFileSync(f, 'utf8')));
console.log('| seed | size | duration | disk | result | ops (ok/failed/unknown) | watch events | faults injected |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of runs) {
  console.log(`| ${r.seed} | ${r.size} | ${r.durationS} s (${r.wallS} s wall) | ${r.disk} | ${r.result} | ${r.ops[0]} (${r.ops[1]}/${r.ops[2]}/${r.ops[3]}) | ${r.watchEvents} | ${r.faultCount}: ${r.faults} |`);
}
const sum = (f: (r: Run) => number) => runs.reduce((s, r) => s + f(r), 0);
const seconds = sum((r) => r.durationS);
console.log(
  `\nTotals: ${runs.length} runs (${runs.filter((r) => r.result === 'PASS').length} PASS), ${seconds} s of faults (${(seconds / 3600).toFixed(2)} h; ` +
    `${(sum((r) => r.wallS) / 3600).toFixed(2)} h wall), ${sum((r) => r.ops[0])} operations checked (${sum((r) => r.ops[1])} ok, ${sum((r) => r.ops[2])} failed, ` +
    `${sum((r) => r.ops[3])} unknown), ${sum((r) => r.watchEvents)} watch events, ${sum((r) => r.faultCount)} faults injected, ` +
    `${sum((r) => r.decodeProblems)} undecodable peer frames (F1) in member logs.`,
);
