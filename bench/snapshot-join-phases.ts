/**
 * The joining cairn member's catch-up cut into phases (issue 18), for bench/snapshot-join-run.ts:
 * the phase bounds come from the members' info logs, and each phase gets its length, the joiner's
 * peak RSS above its first answer (the bench's probe samples, every ~10 ms), the same for its
 * anonymous memory alone (RSS counts the LevelDB table files it maps too), and its longest
 * event-loop stall and GC pause (bench/loop-watch.mjs, preloaded into the members; it logs only
 * stalls over 40 ms and pauses over 15 ms, so "-" means "none that long").
 *
 *   boot              spawn → "member started"
 *   until sent        → a leader's "sending snapshot" (its dial backoff towards the new peer)
 *   receive + stage   → "staged snapshot": the stream written to the staged store, the key index
 *                       built from its records as they arrive
 *   install + switch  → "installed snapshot from leader" (raft steps the message, the Ready loop
 *                       switches stores and reloads)
 *   apply to caught up → the joiner serves the last key written before it joined
 *
 * A build without the "staged snapshot" line (older ones) gets one "receive + install" phase.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PhaseRow {
  readonly name: string;
  readonly seconds: number;
  /** Peak RSS above the joiner's first answer, MiB (undefined: no sample in the phase). */
  readonly rssPeakMiB: number | undefined;
  /** The same for anonymous memory alone (RSS less the file pages mapped: LevelDB's tables). */
  readonly anonPeakMiB: number | undefined;
  /** Longest event-loop stall that started in the phase, and the process CPU inside it, ms. */
  readonly stall: { ms: number; cpuMs: number } | undefined;
  readonly gcMaxMs: number | undefined;
}

export interface PhaseInputs {
  readonly dir: string;
  readonly joinerPid: number;
  readonly spawnedAt: number;
  readonly caughtUpAt: number;
  /** [epoch ms, RSS bytes, RssAnon bytes] of the joiner, from its first answer on. */
  readonly rss: ReadonlyArray<readonly [number, number, number]>;
  /** When a member first logged `msg` (epoch ms). */
  readonly joinerLogged: (msg: string) => number | undefined;
  readonly leaderSentAt: number | undefined;
}

interface LoopEvent {
  readonly kind: 'lag' | 'gc';
  readonly at: number;
  readonly ms: number;
  readonly cpuMs: number;
}

function loopEvents(dir: string, pid: number): LoopEvent[] {
  const file = readdirSync(dir).find((f) => f === `loop-watch.${pid}.log`);
  if (file === undefined) return [];
  const out: LoopEvent[] = [];
  for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
    const [kind, at, ms, ...rest] = line.split(' ');
    if (kind !== 'lag' && kind !== 'gc') continue;
    const cpu = rest.find((r) => r.startsWith('cpu='));
    out.push({ kind, at: Number(at), ms: Number(ms), cpuMs: cpu === undefined ? 0 : Number(cpu.slice(4)) });
  }
  return out;
}

export function joinPhases(p: PhaseInputs): PhaseRow[] {
  const started = p.joinerLogged('member started');
  const staged = p.joinerLogged('staged snapshot');
  const installed = p.joinerLogged('installed snapshot from leader');
  if (started === undefined || p.leaderSentAt === undefined || installed === undefined) return [];
  const bounds: Array<[string, number]> = [['boot', p.spawnedAt], ['until a leader sends', started], ['receive + stage (key index built meanwhile)', p.leaderSentAt]];
  if (staged !== undefined) bounds.push(['install + switch', staged]);
  else bounds[2] = ['receive + stage + install', p.leaderSentAt];
  bounds.push(['apply until caught up', installed]);
  const events = loopEvents(p.dir, p.joinerPid);
  const base = p.rss[0]?.[1];
  const anonBase = p.rss[0]?.[2];
  return bounds.map(([name, from], i) => {
    const to = bounds[i + 1]?.[1] ?? p.caughtUpAt;
    const inside = <T extends { at: number }>(x: T): boolean => x.at >= from && x.at < to;
    const samples = p.rss.filter(([t]) => t >= from && t < to);
    const rss = samples.map(([, r]) => r);
    const anon = samples.map(([, , a]) => a);
    const lags = events.filter((e) => e.kind === 'lag' && inside(e));
    const gcs = events.filter((e) => e.kind === 'gc' && inside(e));
    const worst = lags.reduce<LoopEvent | undefined>((a, e) => (a === undefined || e.ms > a.ms ? e : a), undefined);
    return {
      name,
      seconds: (to - from) / 1000,
      rssPeakMiB: rss.length === 0 || base === undefined ? undefined : (Math.max(...rss) - base) / 2 ** 20,
      anonPeakMiB: anon.length === 0 || anonBase === undefined ? undefined : (Math.max(...anon) - anonBase) / 2 ** 20,
      stall: worst === undefined ? undefined : { ms: worst.ms, cpuMs: worst.cpuMs },
      gcMaxMs: gcs.length === 0 ? undefined : Math.max(...gcs.map((g) => g.ms)),
    };
  });
}

/** One markdown cell per phase: "1.23 s, +45 MiB, stall 67 ms (cpu 50), gc 20 ms". */
export function phaseCell(r: PhaseRow): string {
  const rss = r.rssPeakMiB === undefined ? 'rss -' : `rss +${r.rssPeakMiB.toFixed(0)} MiB (anon +${r.anonPeakMiB?.toFixed(0)})`;
  const stall = r.stall === undefined ? 'stall -' : `stall ${r.stall.ms.toFixed(0)} ms (cpu ${r.stall.cpuMs.toFixed(0)})`;
  const gc = r.gcMaxMs === undefined ? 'gc -' : `gc ${r.gcMaxMs.toFixed(0)} ms`;
  return `${r.name}: ${r.seconds.toFixed(2)} s, ${rss}, ${stall}, ${gc}`;
}
