/**
 * A raft node wired to a MemoryStorage with the application loop done synchronously:
 * persist → collect messages → apply (conf changes included) → advance. Crashes are modelled
 * by rebuilding a node from its storage alone (what was durably written).
 */
import { RawNode } from '../../src/raft/rawnode.js';
import type { RaftConfig } from '../../src/raft/config.js';
import { decodeConfChange } from '../../src/raft/confchange-codec.js';
import type { Message } from '../../src/raft/messages.js';
import type { Raft } from '../../src/raft/raft.js';
import type { Ready } from '../../src/raft/ready.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { EMPTY_CONF_STATE, type ConfState, type Entry, type NodeId, type ReadState } from '../../src/raft/types.js';
import { SeededRng } from '../../src/util/rng.js';

export type NodeOptions = Partial<Omit<RaftConfig, 'id' | 'storage' | 'rng'>> & { seed?: number };

export function confStateOf(voters: readonly NodeId[], learners: readonly NodeId[] = []): ConfState {
  return { ...EMPTY_CONF_STATE, voters: [...voters], learners: [...learners] };
}

export function newStorage(voters: readonly NodeId[], learners: readonly NodeId[] = []): MemoryStorage {
  return new MemoryStorage({ confState: confStateOf(voters, learners) });
}

export const te = new TextEncoder();
export const td = new TextDecoder();

export class TestNode {
  rn: RawNode;
  /** Every entry handed to the application, in order (survives restarts: the "state machine"). */
  readonly applied: Entry[] = [];
  readonly readStates: ReadState[] = [];
  /** Readies processed so far (tests inspect them). */
  readonly readies: Ready[] = [];

  constructor(
    readonly id: NodeId,
    readonly storage: MemoryStorage,
    readonly options: NodeOptions = {},
  ) {
    this.rn = this.build();
  }

  private build(applied = 0): RawNode {
    const { seed, ...rest } = this.options;
    return new RawNode({
      electionTick: 10,
      heartbeatTick: 1,
      ...rest,
      id: this.id,
      storage: this.storage,
      rng: new SeededRng(seed ?? this.id * 7919),
      applied,
    });
  }

  get raft(): Raft {
    return this.rn.raft;
  }

  /** Steps any message (local ones included) straight into the state machine. */
  step(m: Message): void {
    this.raft.step(m);
  }

  /** Persists and applies one Ready; returns its messages. */
  handleReady(rd: Ready): Message[] {
    this.readies.push(rd);
    if (rd.snapshot) this.storage.applySnapshot(rd.snapshot);
    this.storage.append(rd.entries);
    if (rd.hardState) this.storage.setHardState(rd.hardState);
    for (const e of rd.committedEntries) {
      this.applied.push(e);
      if (e.type === 'confChangeV2') this.rn.applyConfChange(decodeConfChange(e.data));
    }
    this.readStates.push(...rd.readStates);
    this.rn.advance(rd);
    return rd.messages;
  }

  /** Processes Readies until there are none; returns all their messages. */
  process(): Message[] {
    const out: Message[] = [];
    while (this.rn.hasReady()) out.push(...this.handleReady(this.rn.ready()));
    return out;
  }

  /** Crash and restart: volatile state is lost; storage keeps what was persisted. */
  restart(): void {
    this.rn = this.build(this.storage.snapshot().metadata.index);
  }

  appliedData(): string[] {
    return this.applied.filter((e) => e.type === 'normal' && e.data.byteLength > 0).map((e) => td.decode(e.data));
  }
}
