/**
 * The simulator's adversary and client: each tick it proposes, partitions and heals the network,
 * crashes nodes, takes snapshots, changes membership, transfers leadership and issues reads, at
 * the rates of the seed's fault profile. In liveness rounds it only proposes markers (and leaves
 * explicit joint configurations) and reports when one is applied by every member.
 */
import type { ConfChangeV2 } from '../../../src/raft/types.js';
import { isKvError } from '../../../src/util/errors.js';
import type { SeededRng } from '../../../src/util/rng.js';
import { isJoint, leaveJoint, MAX_HOSTS, members, planChange } from './membership.js';
import type { SimNode } from './sim-node.js';
import type { Simulation } from './simulation.js';
import { proposalData } from './state-machine.js';

const enc = new TextEncoder();

function dropped(err: unknown): boolean {
  return isKvError(err, 'ProposalDropped');
}

export class Nemesis {
  private proposals = 0;
  private reads = 0;
  private markers: string[] = [];
  private lastMarkerAt = -Infinity;
  private satisfiedBy: string | undefined;

  constructor(
    private readonly sim: Simulation,
    private readonly rng: SeededRng,
  ) {}

  private pick<T>(xs: readonly T[]): T | undefined {
    return xs.length === 0 ? undefined : xs[this.rng.int(xs.length)];
  }

  private chance(p: number): boolean {
    return p > 0 && this.rng.next() < p;
  }

  chaosStep(): void {
    const p = this.sim.profile;
    this.propose();
    if (this.chance(p.partitionRate)) this.partition();
    if (this.chance(p.healRate)) this.sim.network.heal();
    if (this.chance(p.crashRate)) {
      const victim = this.pick(this.sim.up().filter((h) => !h.retired));
      if (victim !== undefined) this.sim.crash(victim.id, 'nemesis');
    }
    if (this.chance(p.snapshotRate)) this.snapshot();
    if (this.chance(p.membershipRate)) this.changeMembership(false);
    if (this.chance(p.transferRate)) this.transfer();
    if (this.chance(p.readRate)) this.read();
    if (this.chance(p.forgetLeaderRate)) {
      const h = this.pick(this.sim.up());
      if (h?.raw !== undefined) {
        h.raw.forgetLeader();
        this.sim.count('forgetLeader');
        h.drain();
      }
    }
  }

  healStep(): void {
    this.propose();
    if (this.chance(this.sim.profile.snapshotRate)) this.snapshot();
    if (this.chance(this.sim.profile.readRate)) this.read();
    this.changeMembership(true);
    const leader = this.sim.leader();
    if (leader !== undefined) this.refreshLeaderSnapshot(leader);
    if (leader !== undefined && this.sim.now - this.lastMarkerAt >= 5) {
      const marker = `m${this.markers.length}`;
      if (leader.propose(enc.encode(marker))) {
        leader.drain();
        this.markers.push(marker);
        this.lastMarkerAt = this.sim.now;
      }
    }
  }

  startLiveness(): void {
    this.markers = [];
    this.lastMarkerAt = -Infinity;
    this.satisfiedBy = undefined;
    this.sim.markersApplied.clear();
  }

  /** A leader exists and some marker proposed after healing is applied on every member. */
  livenessMet(): boolean {
    const leader = this.sim.leader();
    if (leader === undefined) return false;
    const need = [...members(leader.app.confState)].filter((id) => !(this.sim.hosts.get(id)?.retired ?? true));
    // Without PreVote and CheckQuorum a member can hold a higher term than the leader (learned
    // from a since-removed candidate) and silently ignore it forever; if it cannot campaign
    // (a new member with no config yet) nothing tells the leader. etcd-io/raft behaves the
    // same (FINDINGS.md, seed 3001213). Then only a commit — leader plus a majority of its
    // voters — is required; with either option on, every member must catch up.
    const everyone = this.sim.profile.preVote || this.sim.profile.checkQuorum;
    const voters = leader.app.confState.voters;
    for (const m of this.markers) {
      const got = this.sim.markersApplied.get(m);
      if (got === undefined) continue;
      const ok = everyone ? need.every((id) => got.has(id)) : got.has(leader.id) && voters.filter((id) => got.has(id)).length > voters.length / 2;
      if (ok) {
        this.satisfiedBy = m;
        return true;
      }
    }
    return false;
  }

  livenessStatus(): string {
    const leader = this.sim.leader();
    if (leader === undefined) return 'no leader';
    const applied = this.markers.map((m) => `${m}@[${[...(this.sim.markersApplied.get(m) ?? [])].join(',')}]`).join(' ');
    return `leader n${leader.id} (conf ${[...members(leader.app.confState)].join(',')}) but no marker applied everywhere (${applied || 'none proposed'}) ${this.satisfiedBy ?? ''}`;
  }

  private propose(): void {
    const rate = this.sim.profile.proposalRate;
    let n = Math.floor(rate) + (this.chance(rate - Math.floor(rate)) ? 1 : 0);
    for (; n > 0; n--) {
      const leader = this.sim.leader();
      const target = leader !== undefined && this.chance(0.7) ? leader : this.pick(this.sim.up());
      if (target === undefined) return;
      const ok = target.propose(proposalData(this.proposals++));
      this.sim.count(ok ? 'proposals' : 'proposalsDropped');
      target.drain();
    }
  }

  private partition(): void {
    const ids = this.sim.up().map((h) => h.id);
    if (ids.length < 2) return;
    const net = this.sim.network;
    const shuffled = [...ids];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number];
    }
    switch (this.rng.int(4)) {
      case 0: {
        const cut = 1 + this.rng.int(shuffled.length - 1);
        net.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
        this.sim.count('partitionSplit');
        this.sim.event(`partition ${shuffled.slice(0, cut).join(',')} | ${shuffled.slice(cut).join(',')}`);
        return;
      }
      case 1: {
        const victim = this.sim.leader()?.id ?? (shuffled[0] as number);
        net.isolate(victim, ids);
        this.sim.count('partitionIsolate');
        this.sim.event(`isolate n${victim}`);
        return;
      }
      case 2: {
        const k = 1 + this.rng.int(3);
        const cuts: string[] = [];
        for (let i = 0; i < k; i++) {
          const a = this.pick(ids) as number;
          const b = this.pick(ids.filter((x) => x !== a)) as number;
          net.cutOneWay(a, b);
          cuts.push(`${a}->${b}`);
        }
        this.sim.count('partitionOneWay');
        this.sim.event(`one-way cuts ${cuts.join(' ')}`);
        return;
      }
      default: {
        // A bridge: two sides that only one node can talk to (the partial-connectivity case).
        if (shuffled.length < 3) return;
        const [bridge, ...rest] = shuffled as [number, ...number[]];
        const cut = 1 + this.rng.int(rest.length - 1);
        net.partition([rest.slice(0, cut), rest.slice(cut)]);
        this.sim.count('partitionBridge');
        this.sim.event(`bridge n${bridge} between ${rest.slice(0, cut).join(',')} | ${rest.slice(cut).join(',')}`);
      }
    }
  }

  private snapshot(): void {
    const h = this.pick(this.sim.up().filter((x) => x.app.appliedIndex > x.storage.memory.snapshot().metadata.index && x.app.confState.voters.length > 0));
    if (h === undefined) return;
    const idx = h.app.appliedIndex;
    const compactTo = idx - this.rng.int(this.sim.profile.keepMax + 1);
    h.storage.saveAppSnapshot(idx, h.app.confState, h.app.snapshotData(), compactTo);
    this.sim.count('snapshots');
    this.sim.event(`n${h.id} snapshot at ${idx}, compact to ${compactTo}`);
  }

  /**
   * A node ignores a snapshot whose configuration lacks it (etcd-io/raft `restore`), so a member
   * added after the leader's last snapshot can only catch up from a newer one. The application
   * snapshots when its latest snapshot no longer describes the membership.
   */
  private refreshLeaderSnapshot(leader: SimNode): void {
    const snap = leader.storage.memory.snapshot().metadata;
    if (snap.index === 0 || leader.app.appliedIndex <= snap.index) return;
    const inSnap = members(snap.confState);
    if ([...members(leader.app.confState)].every((id) => inSnap.has(id))) return;
    leader.storage.saveAppSnapshot(leader.app.appliedIndex, leader.app.confState, leader.app.snapshotData(), snap.index);
    this.sim.count('snapshotsForNewMembers');
    this.sim.event(`n${leader.id} snapshot at ${leader.app.appliedIndex} for members missing from its snapshot at ${snap.index}`);
  }

  private changeMembership(leaveOnly: boolean): void {
    const leader = this.sim.leader();
    if (leader?.raw === undefined) return;
    const cs = leader.app.confState;
    if (leaveOnly) {
      if (!isJoint(cs) || cs.autoLeave) return;
      this.proposeConf(leader, 'leave-joint', leaveJoint());
      return;
    }
    if (this.sim.hosts.size >= MAX_HOSTS && !isJoint(cs)) return;
    this.sim.handedOut.clear();
    const plan = planChange(this.rng, cs, () => this.sim.freshId());
    if (plan === undefined) return;
    this.proposeConf(leader, plan.kind, plan.cc);
  }

  private proposeConf(leader: SimNode, kind: string, cc: ConfChangeV2): void {
    try {
      leader.raw?.proposeConfChange(cc);
      this.sim.count(`conf:${kind}`);
      this.sim.event(`n${leader.id} proposes ${kind}: ${cc.changes.map((c) => `${c.type} ${c.nodeId}`).join(', ')}`);
    } catch (err) {
      if (!dropped(err)) throw err;
      this.sim.count('confDropped');
    }
    leader.drain();
  }

  private transfer(): void {
    const leader = this.sim.leader();
    if (leader?.raw === undefined) return;
    const target = this.pick([...members(leader.app.confState)]);
    if (target === undefined) return;
    leader.raw.transferLeader(target);
    this.sim.count('transfers');
    this.sim.event(`n${leader.id} transfers leadership to n${target}`);
    leader.drain();
  }

  private read(): void {
    const h = this.pick(this.sim.up());
    if (h?.raw === undefined) return;
    const ctx = `r${this.reads++}`;
    this.sim.checker.onReadRequested(ctx);
    h.raw.readIndex(enc.encode(ctx));
    this.sim.count('reads');
    h.drain();
  }
}
