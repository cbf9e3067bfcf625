/**
 * The interpreter behind test/raft/scenarios.test.ts: a cluster of TestNodes driven by
 * text commands, in the spirit of etcd-io/raft `rafttest/interaction_env*.go`. Messages are
 * held in per-node inboxes until delivered, so scripts control every interleaving.
 */
import { describeEntry, describeMessage, describeReady, stateName } from '../../src/raft/describe.js';
import type { Message } from '../../src/raft/messages.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import {
  EMPTY_CONF_STATE,
  type ConfChangeSingle,
  type ConfChangeTransition,
  type ConfChangeType,
  type NodeId,
} from '../../src/raft/types.js';
import { isKvError } from '../../src/util/errors.js';
import { te, TestNode, type NodeOptions } from './harness.js';

export interface Command {
  readonly name: string;
  /** Positional arguments. */
  readonly args: string[];
  /** key=value arguments. */
  readonly kv: Map<string, string>;
}

export function parseCommand(line: string): Command {
  const [name = '', ...rest] = line.trim().split(/\s+/);
  const args: string[] = [];
  const kv = new Map<string, string>();
  for (const r of rest) {
    const eq = r.indexOf('=');
    if (eq > 0) kv.set(r.slice(0, eq), r.slice(eq + 1));
    else args.push(r);
  }
  return { name, args, kv };
}

const ids = (s: string | undefined): NodeId[] => (s ? s.split(',').filter((x) => x !== '').map(Number) : []);

function errorText(err: unknown): string {
  if (isKvError(err)) return `error: ${err.code}: ${err.message}`;
  throw err;
}

export class ScenarioEnv {
  readonly nodes = new Map<NodeId, TestNode>();
  private readonly inbox = new Map<NodeId, Message[]>();
  private readonly cut = new Set<string>();

  run(cmd: Command): string[] {
    const a = cmd.args;
    const id = (i = 0): NodeId => Number(a[i]);
    switch (cmd.name) {
      case 'add-nodes':
        return this.addNodes(Number(a[0]), cmd.kv);
      case 'campaign':
        this.node(id()).rn.campaign();
        return [];
      case 'propose':
        return this.attempt(() => this.node(id()).rn.propose(te.encode(a[1] ?? '')));
      case 'propose-conf-change':
        return this.attempt(() => this.node(id()).rn.proposeConfChange({
          transition: (cmd.kv.get('transition') ?? 'auto') as ConfChangeTransition,
          changes: a.slice(1).map(parseChange),
          context: new Uint8Array(0),
        }));
      case 'stabilize':
        return this.stabilize(a.length > 0 ? a.map(Number) : [...this.nodes.keys()]);
      case 'process-ready':
        return a.flatMap((x) => this.processReady(Number(x)));
      case 'deliver-msgs':
        return this.deliver(a.map(Number), cmd.kv.get('type'), cmd.kv.has('drop') || a.includes('drop'));
      case 'tick-heartbeat':
        return this.tick(id(), this.node(id()).raft.cfg.heartbeatTick);
      case 'tick-election': {
        // Ticks until the node's (randomized) election timer fires; a leader ticks one
        // election timeout (its CheckQuorum interval).
        const r = this.node(id()).raft;
        const n = r.state === 'leader' || !r.promotable()
          ? r.cfg.electionTick
          : Math.max(1, r.randomizedElectionTimeout - r.electionElapsed);
        return this.tick(id(), n);
      }
      case 'tick':
        return this.tick(id(), Number(a[1] ?? 1));
      case 'raft-log':
        return this.raftLog(id());
      case 'raft-state':
        return this.raftState();
      case 'status':
        return this.status(id());
      case 'cut':
        this.cutLink(id(0), id(1));
        return [];
      case 'isolate':
        for (const other of this.nodes.keys()) if (other !== id()) this.cutLink(id(), other);
        return [];
      case 'partition': {
        const groups = a.map(ids);
        for (const [i, g] of groups.entries()) {
          for (const h of groups.slice(i + 1)) for (const x of g) for (const y of h) this.cutLink(x, y);
        }
        return [];
      }
      case 'heal':
        this.cut.clear();
        return [];
      case 'transfer-leadership':
        this.node(Number(cmd.kv.get('from'))).rn.transferLeader(Number(cmd.kv.get('to')));
        return [];
      case 'report-unreachable':
        this.node(id()).rn.reportUnreachable(id(1));
        return [];
      case 'report-snapshot':
        this.node(id()).rn.reportSnapshot(id(1), a[2] === 'failure' ? 'failure' : 'finish');
        return [];
      case 'compact': {
        const n = this.node(id());
        const index = Number(a[1]);
        n.storage.createSnapshot(index, n.raft.trk.confState(), te.encode(`snap@${index}`));
        n.storage.compact(index);
        return [];
      }
      case 'read-index':
        this.node(id()).rn.readIndex(te.encode(a[1] ?? ''));
        return [];
      case 'forget-leader':
        this.node(id()).rn.forgetLeader();
        return [];
      case 'restart':
        this.node(id()).restart();
        this.inbox.set(id(), []);
        return [];
      default:
        throw new Error(`unknown command ${cmd.name}`);
    }
  }

  private node(id: NodeId): TestNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  private attempt(f: () => void): string[] {
    try {
      f();
      return [];
    } catch (err) {
      return [errorText(err)];
    }
  }

  private cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}-${b}`);
    this.cut.add(`${b}-${a}`);
  }

  private addNodes(n: number, kv: Map<string, string>): string[] {
    const voters = ids(kv.get('voters'));
    const learners = ids(kv.get('learners'));
    const index = Number(kv.get('index') ?? 0);
    const bool = (k: string, d: boolean): boolean => (kv.has(k) ? kv.get(k) === 'true' : d);
    const num = (k: string): number | undefined => (kv.has(k) ? Number(kv.get(k)) : undefined);
    const opts: NodeOptions = {
      electionTick: num('election') ?? 10,
      heartbeatTick: num('heartbeat') ?? 1,
      preVote: bool('prevote', true),
      checkQuorum: bool('checkquorum', true),
      stepDownOnRemoval: bool('step-down-on-removal', true),
      readOnlyOption: kv.get('read-only') === 'leaseBased' ? 'leaseBased' : 'safe',
    };
    const optional: Array<[keyof NodeOptions, string]> = [
      ['maxSizePerMsg', 'max-size-per-msg'],
      ['maxInflightMsgs', 'max-inflight'],
      ['maxInflightBytes', 'max-inflight-bytes'],
      ['maxUncommittedEntriesSize', 'max-uncommitted-size'],
      ['maxCommittedSizePerReady', 'max-committed-size-per-ready'],
    ];
    for (const [key, name] of optional) {
      const v = num(name);
      if (v !== undefined) Object.assign(opts, { [key]: v });
    }
    const first = this.nodes.size + 1;
    for (let id = first; id < first + n; id++) {
      const confState = { ...EMPTY_CONF_STATE, voters, learners };
      const storage = new MemoryStorage({ confState });
      // index=K: start from a snapshot at K (term 1) holding the membership, like etcd's add-nodes.
      if (index > 0) {
        storage.applySnapshot({ metadata: { index, term: 1, confState }, data: new Uint8Array(0) });
        // The snapshot was taken in term 1, so the nodes have seen term 1: the first election is term 2.
        storage.setHardState({ term: 1, vote: 0, commit: index });
      }
      this.nodes.set(id, new TestNode(id, storage, { ...opts, seed: id }));
      this.inbox.set(id, []);
    }
    return [];
  }

  private processReady(id: NodeId): string[] {
    const n = this.node(id);
    if (!n.rn.hasReady()) return [`> ${id} has no Ready`];
    const rd = n.rn.ready();
    const out = [`> ${id} handling Ready`, ...describeReady(rd).map((l) => `  ${l}`)];
    for (const m of n.handleReady(rd)) {
      if (this.cut.has(`${m.from}-${m.to}`) || !this.inbox.has(m.to)) continue;
      this.inbox.get(m.to)?.push(m);
    }
    return out;
  }

  private deliver(targets: NodeId[], type: string | undefined, drop: boolean): string[] {
    const out: string[] = [];
    for (const id of targets) {
      const box = this.inbox.get(id) ?? [];
      const take = box.filter((m) => type === undefined || m.type === type);
      this.inbox.set(id, box.filter((m) => !take.includes(m)));
      for (const m of take) {
        if (drop) {
          out.push(`dropped: ${describeMessage(m)}`);
          continue;
        }
        out.push(describeMessage(m));
        const err = this.attempt(() => this.node(id).rn.step(m));
        out.push(...err.map((e) => `  ${e}`));
      }
    }
    return out;
  }

  private stabilize(targets: NodeId[]): string[] {
    const out: string[] = [];
    for (let rounds = 0; rounds < 1000; rounds++) {
      let busy = false;
      for (const id of targets) {
        if (this.node(id).rn.hasReady()) {
          busy = true;
          out.push(...this.processReady(id));
        }
      }
      for (const id of targets) {
        const box = this.inbox.get(id) ?? [];
        if (box.length === 0) continue;
        busy = true;
        out.push(`> ${id} receiving messages`);
        out.push(...this.deliver([id], undefined, false).map((l) => `  ${l}`));
      }
      if (!busy) return out;
    }
    throw new Error('stabilize did not converge');
  }

  private tick(id: NodeId, n: number): string[] {
    for (let i = 0; i < n; i++) this.node(id).rn.tick();
    return [];
  }

  private raftLog(id: NodeId): string[] {
    const s = this.node(id).storage;
    const first = s.firstIndex();
    const last = s.lastIndex();
    if (last < first) return [`log is empty: first index=${first}, last index=${last}`];
    return s.entries(first, last + 1, Infinity).map(describeEntry);
  }

  private raftState(): string[] {
    return [...this.nodes.values()].map((n) => {
      const r = n.raft;
      const pr = r.trk.progress.get(r.id);
      const role = pr === undefined ? '(removed)' : pr.isLearner ? '(Non-Voter)' : '(Voter)';
      return `${r.id}: ${stateName(r.state)} ${role} Term:${r.term} Lead:${r.lead}`;
    });
  }

  private status(id: NodeId): string[] {
    const r = this.node(id).raft;
    if (r.state !== 'leader') return [`${id} is not the leader (${stateName(r.state)})`];
    const out: string[] = [];
    r.trk.visit((pid, pr) => out.push(`${pid}: ${pr.describe()}`));
    return out;
  }
}

function parseChange(s: string): ConfChangeSingle {
  const types: Record<string, ConfChangeType> = { v: 'addNode', l: 'addLearnerNode', r: 'removeNode', u: 'updateNode' };
  const type = types[s[0] ?? ''];
  if (!type) throw new Error(`bad conf change ${s}`);
  return { type, nodeId: Number(s.slice(1)) };
}
