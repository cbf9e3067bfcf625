/**
 * The randomized Raft simulator: 3–7 RawNodes over crashy storage on a faulty network, driven
 * by a seeded event loop (node ticks at per-node phase offsets, message deliveries, nemesis
 * actions). Each run alternates chaos rounds with healed liveness rounds; every step is checked
 * by the SafetyChecker, and a healed cluster must elect a leader and commit a proposal on every
 * member within a bound. Everything derives from the seed, so a failure replays exactly.
 */
import type { Message } from '../../../src/raft/messages.js';
import type { ConfState, Entry } from '../../../src/raft/types.js';
import { SeededRng } from '../../../src/util/rng.js';
import { bootstrapState, emptyDurableState } from '../crashy-storage.js';
import type { DurableRaftState } from '../crashy-storage.js';
import { MinHeap } from '../heap.js';
import { HEALTHY_LINKS, SimNetwork } from '../network.js';
import { EventLog } from './event-log.js';
import { ALL_FEATURES, describeProfile, drawProfile } from './fault-profile.js';
import type { FaultProfile, Features } from './fault-profile.js';
import { Nemesis } from './nemesis.js';
import { SafetyChecker } from './safety-checker.js';
import { SimNode } from './sim-node.js';
import type { AppBugs, NodeOptions } from './sim-node.js';
import { MAX_HOSTS, members } from './membership.js';

export interface SimOptions {
  seed: number;
  /** Initial voters, 3..7; drawn from the seed when absent. */
  nodes?: number;
  rounds?: number;
  chaosTicks?: number;
  /** Ticks a healed cluster gets to elect a leader and commit a proposal on every member. */
  livenessBound?: number;
  features?: Partial<Features>;
  /** Echo every event to the console. */
  trace?: boolean;
  /** A deliberately broken application (tests of the checker only). */
  bugs?: AppBugs;
  /** Fields forced over the seed's drawn profile (tests that aim one lever hard). */
  profile?: Partial<FaultProfile>;
}

export interface SimResult {
  seed: number;
  /** The CLI command that replays this run exactly. */
  replay: string;
  ok: boolean;
  failure?: string;
  lastEvents: string[];
  profile: string;
  nodes: number;
  ticks: number;
  counts: Record<string, number>;
}

interface Timer {
  readonly time: number;
  readonly seq: number;
  readonly run: () => void;
}

export class Simulation {
  readonly rng: SeededRng;
  readonly profile: FaultProfile;
  readonly network: SimNetwork<Message>;
  readonly checker = new SafetyChecker();
  readonly hosts = new Map<number, SimNode>();
  readonly log: EventLog;
  readonly counts: Record<string, number> = {};
  /** Ids that appeared in some applied configuration. */
  readonly everMember = new Set<number>();
  /** Marker payload → nodes that applied it (liveness rounds). */
  readonly markersApplied = new Map<string, Set<number>>();
  readonly nodeOptions: NodeOptions;
  now = 0;
  phase: 'chaos' | 'heal' = 'chaos';
  private readonly timers = new MinHeap<Timer>();
  private seq = 0;
  private nextId: number;
  private readonly crashRng: SeededRng;
  /** Drives the targeted levers (split appends, deposed leaders, slow applies) only. */
  private readonly leverRng: SeededRng;
  readonly initialNodes: number;

  constructor(readonly opts: SimOptions) {
    this.rng = new SeededRng(opts.seed);
    const features = { ...ALL_FEATURES, ...opts.features };
    this.profile = { ...drawProfile(this.rng.fork(), features), ...opts.profile };
    this.network = new SimNetwork<Message>(this.rng.fork());
    this.network.onLost = (m) => this.lost(m);
    this.crashRng = this.rng.fork();
    this.log = new EventLog(50, opts.trace ?? false);
    const n = opts.nodes ?? 3 + this.rng.int(5);
    this.initialNodes = n;
    this.nodeOptions = {
      electionTick: 10,
      heartbeatTick: 1,
      checkQuorum: this.profile.checkQuorum,
      preVote: this.profile.preVote,
      maxInflightMsgs: this.profile.maxInflightMsgs,
      maxSizePerMsg: this.profile.maxSizePerMsg,
      maxInflightBytes: this.profile.maxInflightBytes,
      maxUncommittedEntriesSize: this.profile.maxUncommittedEntriesSize,
      maxCommittedSizePerReady: this.profile.maxCommittedSizePerReady,
      coalesceMessages: this.profile.coalesceMessages,
    };
    const voters = Array.from({ length: n }, (_, i) => i + 1);
    this.nextId = n + 1;
    // Its own stream, derived from the seed: a seed whose profile draws no lever runs exactly
    // as it did before the levers existed.
    this.leverRng = new SeededRng((Math.imul(opts.seed, 0x9e3779b1) ^ 0x5bd1e995) >>> 0);
    const boot = bootstrapState(voters);
    for (const id of voters) {
      this.everMember.add(id);
      this.addHost(id, boot);
    }
  }

  count(what: string, by = 1): void {
    this.counts[what] = (this.counts[what] ?? 0) + by;
  }

  event(line: string): void {
    this.log.add(`[${this.now.toFixed(2)}] ${line}`);
  }

  at(time: number, run: () => void): void {
    this.timers.push({ time, seq: this.seq++, run });
  }

  /** Spares handed out for the change being planned (one change may add two nodes). */
  readonly handedOut = new Set<number>();

  /** A node id never used before, or a blank spare that never became a member. */
  freshId(): number {
    for (const h of this.hosts.values()) {
      if (!h.retired && !this.everMember.has(h.id) && h.app.appliedIndex === 0 && !this.handedOut.has(h.id)) {
        this.handedOut.add(h.id);
        return h.id;
      }
    }
    const id = this.nextId++;
    this.addHost(id, emptyDurableState());
    this.handedOut.add(id);
    return id;
  }

  up(): SimNode[] {
    return [...this.hosts.values()].filter((h) => h.up);
  }

  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const h of this.hosts.values()) if (h.isLeader && (best === undefined || h.term > best.term)) best = h;
    return best;
  }

  private addHost(id: number, initial: DurableRaftState): SimNode {
    const host = new SimNode(id, initial, this.rng.fork(), this.nodeOptions, this.checker, {
      send: (m) => this.send(m),
      log: (line) => this.event(line),
      applied: (node, e, before) => this.onApplied(node, e, before),
      crashMidReady: (node) => this.maybeCrashMidReady(node),
      becameLeader: (node) => this.maybeDepose(node),
      applyLag: () => this.applyLag(),
      later: (delay, fn) => this.at(this.now + delay, fn),
    }, this.opts.bugs);
    this.hosts.set(id, host);
    const offset = 0.001 + this.rng.next() * 0.998;
    const tick = (): void => {
      if (host.retired) return;
      if (host.raw !== undefined && this.rng.next() >= this.profile.tickSkip) {
        host.tick();
        host.drain();
      }
      this.at(this.now + 1, tick);
    };
    this.at(Math.floor(this.now) + offset, tick);
    return host;
  }

  private send(m: Message): void {
    this.count('messages');
    this.network.send(m, this.now);
  }

  /** The transport's view of a lost packet: a failed snapshot send, sometimes an unreachable peer. */
  private lost(m: Message): void {
    if (m.type === 'MsgSnap') this.at(this.now, () => this.report(m.from, (raw) => raw.reportSnapshot(m.to, 'failure')));
    else if (this.network.isBlocked(m.from, m.to) && this.rng.next() < 0.3) {
      this.at(this.now, () => this.report(m.from, (raw) => raw.reportUnreachable(m.to)));
    }
  }

  private report(id: number, fn: (raw: NonNullable<SimNode['raw']>) => void): void {
    const h = this.hosts.get(id);
    if (h?.raw === undefined) return;
    fn(h.raw);
    h.drain();
  }

  private deliver(m: Message): void {
    const dest = this.hosts.get(m.to);
    if (dest?.raw === undefined || dest.retired) {
      if (m.type === 'MsgSnap') this.report(m.from, (raw) => raw.reportSnapshot(m.to, 'failure'));
      return;
    }
    dest.step(this.maybeSplit(m));
    if (this.chaosLever(this.profile.batchStepRate)) {
      // Whatever else arrives in the next 0.05 ticks is stepped before this node's next Ready.
      this.count('batchedSteps');
      this.at(this.now + 0.5, () => dest.drain());
    } else {
      dest.drain();
    }
    if (m.type === 'MsgSnap') this.report(m.from, (raw) => raw.reportSnapshot(m.to, 'finish'));
  }

  private chaosLever(rate: number): boolean {
    return this.phase === 'chaos' && rate > 0 && this.leverRng.next() < rate;
  }

  /** Delivers only a prefix of an append's entries (FaultProfile.splitAppendRate). */
  private maybeSplit(m: Message): Message {
    if (m.type !== 'MsgApp' || m.entries.length === 0 || !this.chaosLever(this.profile.splitAppendRate)) return m;
    this.count('splitAppends');
    return { ...m, entries: m.entries.slice(0, this.leverRng.int(m.entries.length)) };
  }

  /** Isolates or crashes a new leader within 0–2 ticks (FaultProfile.deposeLeaderRate). */
  private maybeDepose(id: number): void {
    if (!this.chaosLever(this.profile.deposeLeaderRate)) return;
    const crash = this.leverRng.next() < 0.5;
    this.at(this.now + this.leverRng.next() * 2, () => {
      const h = this.hosts.get(id);
      if (this.phase !== 'chaos' || h === undefined || !h.isLeader) return;
      this.count('leadersDeposed');
      if (crash) {
        this.crash(id, 'leader deposed mid-replication');
      } else {
        this.network.isolate(id, [...this.hosts.keys()]);
        this.event(`isolate n${id}: leader deposed mid-replication`);
      }
    });
  }

  private applyLag(): number {
    if (!this.chaosLever(this.profile.slowApplyRate)) return 0;
    this.count('slowApplies');
    return 0.2 + this.leverRng.next() * this.profile.maxApplyLag;
  }

  private onApplied(node: number, e: Entry, confBefore: ConfState): void {
    if (e.type === 'confChangeV2') {
      const h = this.hosts.get(node);
      if (h === undefined) return;
      const ms = members(h.app.confState);
      for (const id of ms) this.everMember.add(id);
      this.count('confApplied');
      // Retire a node once it applies the change that takes it out of the configuration.
      if (!ms.has(node) && members(confBefore).has(node)) this.at(this.now, () => this.retire(node, 'applied its own removal'));
      return;
    }
    if (e.data.length > 0 && e.data[0] === 0x6d /* 'm' */) {
      const key = new TextDecoder().decode(e.data);
      let s = this.markersApplied.get(key);
      if (s === undefined) this.markersApplied.set(key, (s = new Set()));
      s.add(node);
    }
  }

  retire(id: number, why: string): void {
    const h = this.hosts.get(id);
    if (h === undefined || h.retired) return;
    h.crash(this.crashRng);
    h.retired = true;
    this.network.purge(id);
    this.count('retired');
    this.event(`n${id} retired: ${why}`);
  }

  crash(id: number, why: string): void {
    const h = this.hosts.get(id);
    if (h?.raw === undefined) return;
    this.event(`n${id} crash: ${why}`);
    h.crash(this.crashRng);
    this.count('crashes');
    const [lo, hi] = this.profile.restartDelay;
    this.at(this.now + lo + this.rng.next() * (hi - lo), () => this.restart(id));
  }

  restart(id: number): void {
    const h = this.hosts.get(id);
    if (h === undefined || h.up || h.retired) return;
    h.start();
    this.count('restarts');
    h.drain();
  }

  private maybeCrashMidReady(node: number): boolean {
    if (this.phase !== 'chaos' || this.rng.next() >= this.profile.midReadyCrashRate) return false;
    this.count('midReadyCrashes');
    const [lo, hi] = this.profile.restartDelay;
    this.at(this.now + lo + this.rng.next() * (hi - lo), () => this.restart(node));
    return true;
  }

  /** Runs events until `until` (network deliveries and timers interleaved by time). */
  runUntil(until: number): void {
    for (let steps = 0; ; steps++) {
      if (steps > 200_000) throw new Error(`livelock: over 200000 events within one tick at ${this.now}`);
      const tNet = this.network.nextTime() ?? Infinity;
      const tTimer = this.timers.peek()?.time ?? Infinity;
      const t = Math.min(tNet, tTimer);
      if (t > until) break;
      this.now = t;
      if (tNet <= tTimer) {
        const due = this.network.nextDue(t);
        if (due !== undefined) this.deliver(due.msg);
      } else {
        (this.timers.pop() as Timer).run();
      }
    }
    this.now = until;
  }

  /** Healed network, everyone restarted, removed members retired (the start of a liveness round). */
  healAll(): void {
    this.phase = 'heal';
    this.network.heal();
    this.network.faults = { ...HEALTHY_LINKS };
    let latest: SimNode | undefined;
    for (const h of this.hosts.values()) if (latest === undefined || h.app.appliedIndex > latest.app.appliedIndex) latest = h;
    const ms = latest === undefined ? new Set<number>() : members(latest.app.confState);
    for (const h of this.hosts.values()) {
      if (this.everMember.has(h.id) && !ms.has(h.id)) this.retire(h.id, 'removed from the configuration');
    }
    for (const h of this.hosts.values()) this.restart(h.id);
    this.event(`HEAL: network healed, all members up`);
  }

  run(): SimResult {
    const rounds = this.opts.rounds ?? 2;
    const chaosTicks = this.opts.chaosTicks ?? 100;
    const bound = this.opts.livenessBound ?? 300;
    const nemesis = new Nemesis(this, this.rng.fork());
    this.event(`seed ${this.opts.seed}: ${this.hosts.size} nodes; ${describeProfile(this.profile)}`);
    try {
      for (let r = 0; r < rounds; r++) {
        this.phase = 'chaos';
        this.network.faults = { ...this.profile.links };
        const chaosEnd = this.now + chaosTicks;
        while (this.now < chaosEnd) {
          nemesis.chaosStep();
          this.runUntil(this.now + 1);
        }
        this.healAll();
        const healedAt = this.now;
        nemesis.startLiveness();
        while (!nemesis.livenessMet()) {
          if (this.now - healedAt > bound) {
            throw new Error(`liveness: ${nemesis.livenessStatus()} ${bound} ticks after healing (round ${r + 1})`);
          }
          nemesis.healStep();
          this.runUntil(this.now + 1);
        }
        this.count('livenessTicks', this.now - healedAt);
        this.event(`liveness round ${r + 1} met after ${this.now - healedAt} ticks`);
      }
      return this.result(true);
    } catch (err) {
      const e = err as Error;
      return this.result(false, `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 6).join('\n')}`);
    }
  }

  private result(ok: boolean, failure?: string): SimResult {
    const c = this.checker.counts;
    const net = this.network.stats;
    let lost = 0;
    for (const h of this.hosts.values()) lost += h.storage.stats.lostWrites;
    const counts = { ...this.counts, ...c, netDropped: net.dropped, netDuplicated: net.duplicated, netCut: net.cut, lostWrites: lost };
    const o = this.opts;
    const flags = [
      o.nodes !== undefined ? ` --nodes ${o.nodes}` : '',
      o.rounds !== undefined ? ` --rounds ${o.rounds}` : '',
      o.chaosTicks !== undefined ? ` --chaos ${o.chaosTicks}` : '',
      o.bugs?.stepWhileApplying === true ? ' --step-while-applying' : '',
    ].join('');
    const forced = o.profile !== undefined ? ` (with profile ${JSON.stringify(o.profile)}: replay through the test's SEED)` : '';
    return {
      seed: this.opts.seed,
      replay: `npm run sim -- --seed ${o.seed}${flags}${forced}`,
      ok,
      ...(failure !== undefined ? { failure } : {}),
      lastEvents: this.log.last(),
      profile: describeProfile(this.profile),
      nodes: this.initialNodes,
      ticks: Math.round(this.now),
      counts,
    };
  }
}

export function runSimulation(opts: SimOptions): SimResult {
  return new Simulation(opts).run();
}

export function formatFailure(r: SimResult): string {
  return [
    `SIMULATION FAILED — seed ${r.seed}; replay: ${r.replay} --trace (or SEED=${r.seed} npx vitest run <the sim-*.test.ts file that failed>)`,
    `profile: ${r.profile}`,
    `failure: ${r.failure ?? ''}`,
    `last ${r.lastEvents.length} events:`,
    ...r.lastEvents.map((l) => `  ${l}`),
  ].join('\n');
}
