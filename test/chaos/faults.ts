/**
 * The nemesis: one fault at a time on a seeded schedule (etcd robustness injects one failpoint
 * per run; Jepsen's nemesis cycles faults), each held for a while and then healed. Faults:
 *  - kill: SIGKILL a member (the leader half of the time), restart it after a pause;
 *  - stop: SIGSTOP a member (often the leader) for up to a few election timeouts, then SIGCONT;
 *  - partition: symmetric (a minority cut off), one-way (A→B blackholed), or isolating the
 *    leader, through the peer proxies (blackhole or refuse);
 *  - latency: the links to and from one member (often the leader), or every link, hold each
 *    chunk 20–300 ms (in order, as TCP delivers a slow or lossy link);
 *  - slowdisk: every synced batch of a member (or all) waits 50–400 ms;
 *  - powerloss: on members running the file disk, SIGKILL and a power cut of the data (every
 *    write since the last synced batch gone, or — 1 in 3 — all but a prefix of them, the last
 *    one possibly torn); a minority, or — rarely — every member at once;
 *  - membership: remove a member (the leader half of the time), wipe it and add it back as a
 *    voter, or as a learner promoted once caught up (membership-fault.ts);
 *  - transfer: move leadership from the leader to another member.
 */
import { powerCut } from '../../src/storage/file-disk.js';
import type { SeededRng } from '../../src/util/rng.js';
import type { ChaosCluster, ChaosMember } from './cluster.js';
import { replaceMember, transferLeader } from './membership-fault.js';
import { bump, type Counters } from './workload.js';

export type FaultKind = 'kill' | 'stop' | 'partition' | 'latency' | 'slowdisk' | 'powerloss' | 'membership' | 'transfer';
export const ALL_FAULTS: readonly FaultKind[] = ['kill', 'stop', 'partition', 'latency', 'slowdisk', 'powerloss', 'membership', 'transfer'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function leaderOf(cluster: ChaosCluster): Promise<ChaosMember | undefined> {
  for (const m of cluster.members) {
    if (!cluster.isUp(m) || m.stopped) continue;
    try {
      const r = await fetch(`${m.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(500) });
      if (!r.ok) continue;
      const s = (await r.json()) as { leader?: string };
      if (s.leader === undefined || s.leader === '0') continue;
      const id = BigInt(s.leader).toString(16);
      return cluster.members.find((x) => x.id === id);
    } catch {
      // down or paused
    }
  }
  return undefined;
}

export interface NemesisOptions {
  readonly faults: readonly FaultKind[];
  readonly running: () => boolean;
  readonly log: (line: string) => void;
}

export async function nemesis(cluster: ChaosCluster, rng: SeededRng, counters: Counters, o: NemesisOptions): Promise<void> {
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)] as T;
  const minority = Math.floor((cluster.members.length - 1) / 2);
  const note = (kind: string, detail: string) => {
    bump(counters, kind);
    o.log(`${new Date().toISOString()} fault ${kind}: ${detail}`);
  };
  await sleep(1000 + rng.int(1000));
  while (o.running()) {
    const kind = pick(o.faults);
    const leader = await leaderOf(cluster);
    const victim = leader !== undefined && rng.int(2) === 0 ? leader : pick(cluster.members);
    const hold = 500 + rng.int(2500);
    switch (kind) {
      case 'kill':
      case 'powerloss': {
        const onFile = cluster.members.filter((m) => m.disk !== 'level');
        if (kind === 'powerloss' && onFile.length === 0) break;
        const all = kind === 'powerloss' && onFile.length === cluster.members.length && rng.int(6) === 0;
        const pool = kind === 'powerloss' ? onFile : cluster.members;
        const victims = all ? cluster.members : [pool.includes(victim) ? victim : pick(pool)];
        if (!all && rng.int(3) === 0) {
          // Sometimes a whole minority at once.
          for (const m of cluster.members) if (victims.length < minority && !victims.includes(m) && pool.includes(m)) victims.push(m);
        }
        const name = kind === 'powerloss' ? (all ? 'power loss of all members' : 'power loss of a minority') : 'SIGKILL + restart';
        note(name, victims.map((m) => `${m.name}${m === leader ? ' (leader)' : ''}`).join(','));
        await Promise.all(victims.map((m) => cluster.signal(m, 'SIGKILL')));
        if (kind === 'powerloss') {
          const lost = victims.map((m) => `${m.name} -${powerCut(m.dataDir, rng.int(3) === 0 ? rng.next() : 0)} B`);
          o.log(`${new Date().toISOString()} power cut: ${lost.join(', ')}`);
        }
        await sleep(hold);
        for (const m of victims) await cluster.start(m);
        break;
      }
      case 'stop': {
        note('SIGSTOP/SIGCONT', `${victim.name}${victim === leader ? ' (leader)' : ''} for ${hold} ms`);
        await cluster.signal(victim, 'SIGSTOP');
        await sleep(hold);
        await cluster.signal(victim, 'SIGCONT');
        break;
      }
      case 'partition': {
        const mode = rng.int(2) === 0 ? 'blackhole' : 'refuse';
        const shape = rng.int(3);
        if (shape === 0) {
          // Isolate a member (the leader when known) from everyone, both ways.
          const target = leader ?? victim;
          note('partition: isolate', `${target.name}${target === leader ? ' (leader)' : ''} ${mode} for ${hold * 2} ms`);
          for (const m of cluster.members) {
            if (m === target) continue;
            cluster.cut(m, target, mode);
            cluster.cut(target, m, mode);
          }
        } else if (shape === 1) {
          const from = victim;
          const to = pick(cluster.members.filter((m) => m !== from));
          note('partition: one-way', `${from.name} -> ${to.name} ${mode} for ${hold * 2} ms`);
          cluster.cut(from, to, mode);
        } else {
          // A symmetric split: a random minority against the rest.
          const side = [...cluster.members].sort(() => rng.next() - 0.5).slice(0, Math.max(1, minority));
          note('partition: symmetric', `{${side.map((m) => m.name)}} | rest ${mode} for ${hold * 2} ms`);
          for (const a of side) for (const b of cluster.members) if (!side.includes(b)) {
            cluster.cut(a, b, mode);
            cluster.cut(b, a, mode);
          }
        }
        await sleep(hold * 2);
        cluster.heal();
        break;
      }
      case 'membership': {
        const asLearner = rng.int(2) === 0;
        note(asLearner ? 'member replaced (learner, promoted)' : 'member replaced (voter)', `${victim.name}${victim === leader ? ' (leader)' : ''}`);
        await replaceMember(cluster, victim, asLearner);
        o.log(`${new Date().toISOString()} ${victim.name} is back as member ${victim.id}`);
        break;
      }
      case 'transfer': {
        if (leader === undefined) break;
        const target = pick(cluster.members.filter((m) => m !== leader));
        const outcome = await transferLeader(leader, target);
        note(outcome === 'done' ? 'leader transfer' : 'leader transfer (refused)', `${leader.name} -> ${target.name}: ${outcome}`);
        break;
      }
      case 'latency': {
        const delayMs = 20 + rng.int(280);
        const everyLink = rng.int(3) === 0;
        note('network latency', `${everyLink ? 'every link' : `links of ${victim.name}${victim === leader ? ' (leader)' : ''}`} +${delayMs} ms for ${hold * 2} ms`);
        for (const a of cluster.members) for (const b of cluster.members) {
          if (a !== b && (everyLink || a === victim || b === victim)) cluster.cut(a, b, { delayMs });
        }
        await sleep(hold * 2);
        cluster.heal();
        break;
      }
      case 'slowdisk': {
        const ms = 50 + rng.int(350);
        const targets = rng.int(3) === 0 ? cluster.members : [victim];
        note('slow disk', `${targets.map((m) => m.name)} +${ms} ms per fsync for ${hold * 3} ms`);
        for (const m of targets) cluster.setSyncDelay(m, ms);
        await sleep(hold * 3);
        cluster.heal();
        break;
      }
    }
    await sleep(500 + rng.int(1500));
  }
}
