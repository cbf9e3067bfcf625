/**
 * One seeded whole-member simulation: clients and faults for a while, then heal everything and
 * check (1) the client history is linearizable, (2) a leader is elected and every member
 * converges to the same key-space hash at the same revision.
 */
import { checkKvHistory } from '../checker/check-kv.js';
import { HistoryRecorder } from '../checker/history.js';
import { watchHistoryFromCommits } from '../checker/watch-history.js';
import type { KvInput, KvOutput } from '../checker/kv-model.js';
import type { CheckResult } from '../checker/linearizability.js';
import { utf8 } from '../../src/util/bytes.js';
import { runClients } from './clients.js';
import { runWatchers } from './watchers.js';
import { validateWatches } from '../checker/watch-guarantees.js';
import { World, type SimMember } from './world.js';

/** How a power loss treats unsynced batches (memory-kv.ts): all lost, a prefix kept, any kept. */
const LOSS_MODES = ['drop', 'tear', 'any'] as const;

export interface SimOptions {
  readonly seed: number;
  readonly size?: number;
  readonly durationMs?: number;
  readonly clients?: number;
  readonly keys?: number;
  /** Checker budget per key partition (ms of wall clock); exhausted → an undecided key. */
  readonly checkMillis?: number;
}

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly problems: string[];
  readonly operations: number;
  readonly okOperations: number;
  readonly unknownOperations: number;
  /**
   * 'ok' only when the checker decided every key. 'unknown' (budget exhausted) is not a pass:
   * a run with undecided keys proves nothing about them, so it is reported apart, not as ok.
   */
  readonly linearizability: CheckResult;
  /** Keys whose history the checker could not decide within its budget, with their op counts. */
  readonly undecided: string[];
  /** The largest key partition the checker searched, and the longest it took (ms): the budget's margin. */
  readonly checkerMaxOps: number;
  readonly checkerMaxMillis: number;
  readonly faults: Record<string, number>;
  /** Watch streams recorded (one per member life a watcher saw) and events they delivered. */
  readonly watchStreams: number;
  readonly watchEvents: number;
  readonly log: string[];
}

async function injectFaults(world: World, until: number, faults: Record<string, number>): Promise<void> {
  const rng = world.rng.fork();
  const sleep = (ms: number) => new Promise<void>((r) => world.clock.setTimeout(r, ms));
  const count = (k: string) => (faults[k] = (faults[k] ?? 0) + 1);
  const maxDown = Math.floor((world.members.length - 1) / 2);
  const down: SimMember[] = [];
  while (world.clock.now() < until) {
    await sleep(100 + rng.int(400));
    const ids = world.members.map((m) => m.id).filter((id) => id !== 0);
    const pick = <T>(xs: T[]): T => xs[rng.int(xs.length)] as T;
    const roll = rng.int(100);
    if (roll < 20) {
      world.network.heal();
      world.note('heal');
      count('heal');
    } else if (roll < 35) {
      const id = pick(ids);
      world.network.isolate(id);
      world.note(`isolate ${id.toString(16)}`);
      count('isolate');
    } else if (roll < 45) {
      const [a, b] = [pick(ids), pick(ids)];
      if (a !== b) {
        world.network.cut(a, b, true);
        world.note(`cut ${a.toString(16)} -> ${b.toString(16)}`);
        count('one-way cut');
      }
    } else if (roll < 52) {
      const [a, b] = [pick(ids), pick(ids)];
      if (a !== b) {
        world.network.drop(a, b, 0.2 + rng.next() * 0.6);
        count('drop');
      }
    } else if (roll < 60) {
      // A lagging follower: most of the leader's appends to it are lost, so its commit and
      // apply trail the leader's while it still answers (and forwards) reads.
      const leader = world.leader();
      const followers = ids.filter((id) => id !== leader?.id);
      const victim = followers.length > 0 ? pick(followers) : undefined;
      if (leader !== undefined && victim !== undefined) {
        world.network.drop(leader.id, victim, 0.5 + rng.next() * 0.45);
        world.note(`lag ${victim.toString(16)} behind leader ${leader.id.toString(16)}`);
        count('lagging follower');
      }
    } else if (roll < 65) {
      const [a, b] = [pick(ids), pick(ids)];
      if (a !== b) {
        world.network.delay(a, b, 5 + rng.int(60));
        count('delay');
      }
    } else if (roll < 80 && down.length < maxDown) {
      const victim = pick(world.live());
      if (victim !== undefined) {
        await world.crash(victim, LOSS_MODES[rng.int(3)] ?? 'drop');
        down.push(victim);
        count('crash (power loss)');
      }
    } else if (roll >= 80 && roll < 95 && down.length > 0) {
      const back = down.shift() as SimMember;
      await world.start(back);
      count('restart');
    } else if (roll >= 95 && roll < 97) {
      // Every member loses power at once: only synced data may survive, and nothing acknowledged may be lost.
      for (const m of world.live()) await world.crash(m, LOSS_MODES[rng.int(3)] ?? 'drop');
      for (const m of world.members) if (m.member === undefined) await world.start(m);
      down.length = 0;
      count('power loss of all');
    }
  }
}

export async function simulate(o: SimOptions): Promise<SimResult> {
  const world = new World({ seed: o.seed, size: o.size ?? 3 });
  const durationMs = o.durationMs ?? 3000;
  const history = new HistoryRecorder<KvInput, KvOutput>(world.clock);
  const faults: Record<string, number> = {};
  const problems: string[] = [];
  let watchStreams = 0;
  let watchEvents = 0;
  let linearizability: CheckResult = 'unknown';
  const undecided: string[] = [];
  let checkerMaxOps = 0;
  let checkerMaxMillis = 0;
  try {
    for (const m of world.members) await world.start(m);
    const until = durationMs;
    let watching = true;
    const watchers = runWatchers(world, () => !watching);
    const work = [...runClients(world, history, { clients: 4, keys: o.keys ?? 3, until }), injectFaults(world, until, faults)];
    let finished = false;
    const all = Promise.all(work).finally(() => (finished = true));
    while (!finished) await world.run(10);
    await all;

    // Liveness phase: heal, restart everyone, and require a leader and convergence.
    world.network.heal();
    for (const m of world.members) if (m.member === undefined) await world.start(m);
    world.note('healed; liveness phase');
    let leader = world.leader();
    for (let t = 0; t < 5000 && leader === undefined; t += 10) {
      await world.run(10);
      leader = world.leader();
    }
    if (leader === undefined) {
      problems.push('no leader within 5 s after healing');
    } else {
      world.note(`leader ${leader.id.toString(16)}; final reads`);
      // Final reads make every key's last state part of the checked history.
      for (let k = 0; k < (o.keys ?? 3); k++) {
        const opId = history.invoke(1000 + k, { op: 'get', key: `k${k}` });
        const read = leader.range({ key: utf8(`k${k}`) });
        let settled = false;
        void read.finally(() => (settled = true)).catch(() => undefined);
        // Time must keep moving while we wait: the read's own timeout runs on the simulated clock.
        const start = world.clock.now();
        while (!settled && world.clock.now() - start < 10_000) await world.run(10);
        world.note(`final read k${k} ${settled ? 'settled' : 'pending'} after ${world.clock.now() - start} ms`);
        if (!settled) {
          history.fail(opId, new Error('no answer'), { outcome: 'failed' });
          problems.push(`final read of k${k} on the healed leader got no answer within 10 s`);
          continue;
        }
        try {
          const r = await read;
          const kv = r.kvs[0];
          history.ok(opId, kv === undefined ? { op: 'get', revision: r.revision } : { op: 'get', value: Buffer.from(kv.value).toString(), modRevision: kv.modRevision, revision: r.revision });
        } catch (err) {
          history.fail(opId, err, { outcome: 'failed' });
          problems.push(`final read of k${k} failed: ${(err as Error).message}`);
        }
      }
      world.note('convergence');
      let converged = false;
      let last = '';
      for (let t = 0; t < 5000 && !converged; t += 50) {
        await world.run(50);
        const hashes = await world.settle(Promise.all(world.live().map(async (m) => {
          try {
            const h = await (m.member as NonNullable<typeof m.member>).hashKV(0);
            return `${h.revision}:${h.hash}`;
          } catch (err) {
            // A member that stopped itself (a storage failure) never converges: report, don't crash.
            return `${m.name}: ${(err as Error).message}`;
          }
        })));
        last = hashes.join(' ');
        converged = new Set(hashes).size === 1;
      }
      if (!converged) problems.push(`members did not converge: ${last}`);
    }

    world.note('checking history');
    // No compaction runs here, so the healed leader's store holds the whole committed history:
    // it settles unknown writes and checks every read against the revision it reported.
    let committed: ReturnType<typeof watchHistoryFromCommits> | undefined;
    if (leader !== undefined) {
      const events = await world.settle(leader.watchHub.source.readEvents(1, leader.watchHub.source.currentRevision(), 1_000_000));
      committed = watchHistoryFromCommits(events.map((e) => ({ revision: e.kv.modRevision, events: [e] })));
    }
    const report = checkKvHistory(history.operations(), { maxMillis: o.checkMillis ?? 20_000, ...(committed !== undefined ? { committed } : {}) });
    linearizability = report.result;
    if (report.result === 'illegal') problems.push(`history is not linearizable:\n${report.text}`);
    for (const p of report.linearizability.partitions) {
      checkerMaxOps = Math.max(checkerMaxOps, p.operations);
      checkerMaxMillis = Math.max(checkerMaxMillis, p.millis);
      if (p.result === 'unknown') undecided.push(`${p.partition} (${p.operations} ops, ${p.steps} steps, ${Math.round(p.millis)} ms)`);
    }
    watching = false;
    watchers.close();
    // Watchers may be sleeping on the simulated clock: let time pass until they have all ended.
    let watchersDone = false;
    const ended = Promise.all(watchers.done).finally(() => (watchersDone = true));
    for (let t = 0; t < 1000 && !watchersDone; t += 10) await world.run(10);
    await ended;
    const streams = watchers.recorder.streams();
    const watchReport = validateWatches(streams, committed !== undefined ? { history: committed } : {});
    if (watchReport.violations.length > 0) problems.push(`watch guarantees violated:\n${watchReport.text}`);
    watchStreams = streams.length;
    watchEvents = streams.reduce((n, st) => n + st.responses.reduce((m, r) => m + r.events.length, 0), 0);
  } catch (err) {
    problems.push(`simulation error: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await world.stopAll();
  }
  const ops = history.operations();
  return {
    seed: o.seed,
    ok: problems.length === 0,
    problems,
    operations: ops.length,
    okOperations: ops.filter((op) => op.status === 'ok').length,
    unknownOperations: ops.filter((op) => op.status === 'unknown').length,
    linearizability,
    undecided,
    checkerMaxOps,
    checkerMaxMillis,
    faults,
    watchStreams,
    watchEvents,
    log: world.log.slice(-60),
  };
}
