/**
 * The Ready loop (etcd `raftNode.start`): persist → send → apply → advance, one Ready at a time.
 * Every call into the RawNode goes through `submit`, and none runs between `ready()` and
 * `advance()`: work that arrives during a slow fsync queues (bounded) and is stepped in one
 * burst afterwards, so the next Ready carries it all in one synced batch.
 */
import type { RawNode, Ready } from '../raft/index.js';
import type { MessageOf, Message } from '../raft/messages.js';
import type { Entry, ReadState, Snapshot, SoftState, HardState } from '../raft/types.js';
import type { MemoryStorage } from '../raft/storage.js';
import type { Wal } from '../storage/wal.js';
import type { Clock, Timer } from '../util/clock.js';
import { KvError } from '../util/errors.js';

export interface RaftLoopDeps {
  readonly node: RawNode;
  readonly storage: MemoryStorage;
  readonly wal: Wal;
  readonly clock: Clock;
  readonly tickMs: number;
  /** Calls waiting to be stepped, at most; beyond, `submit` refuses with too many requests. */
  readonly maxQueued: number;
  send(messages: readonly Message[]): void;
  sendSnapshot(msg: MessageOf<'MsgSnap'>): void;
  /** Makes the application state match the snapshot, durably, before it is recorded in the WAL. */
  installSnapshot(snapshot: Snapshot): Promise<void>;
  apply(entries: readonly Entry[]): Promise<void>;
  onSoftState(state: SoftState): void;
  onReadStates(states: readonly ReadState[]): void;
  /** Storage failed: the member must stop, since it can no longer promise durability. */
  onFatal(err: unknown): void;
  /** fsync latency, for etcd_disk_wal_fsync_duration_seconds. */
  onWalSync?(seconds: number): void;
}

export class RaftLoop {
  private queue: Array<(node: RawNode) => void> = [];
  private running = false;
  private stopped = false;
  private ticker: Timer | undefined;
  private isLeader = false;
  private idle: Array<() => void> = [];

  constructor(private readonly d: RaftLoopDeps) {}

  start(): void {
    this.ticker = this.d.clock.setInterval(() => this.submitQuietly((n) => n.tick()), this.d.tickMs);
    this.kick();
  }

  /** Stops ticking and processing; resolves once the Ready in progress (if any) is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ticker?.cancel();
    this.queue = [];
    if (this.running) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** Runs `fn` against the node at the next safe point; throws if the queue is full or stopped. */
  submit(fn: (node: RawNode) => void): void {
    if (this.stopped) throw new KvError('Stopped');
    if (this.queue.length >= this.d.maxQueued) throw new KvError('TooManyRequests');
    this.queue.push(fn);
    this.kick();
  }

  /** For ticks and peer messages: dropping one under overload is what a lossy network does. */
  submitQuietly(fn: (node: RawNode) => void): void {
    if (this.stopped || this.queue.length >= this.d.maxQueued) return;
    this.queue.push(fn);
    this.kick();
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    queueMicrotask(() => void this.run());
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopped) {
        const calls = this.queue;
        this.queue = [];
        for (const call of calls) call(this.d.node);
        if (!this.d.node.hasReady()) break;
        const rd = this.d.node.ready();
        await this.handle(rd);
        if (this.stopped) break;
        this.d.node.advance(rd);
      }
    } catch (err) {
      this.stopped = true;
      this.ticker?.cancel();
      this.d.onFatal(err);
    } finally {
      this.running = false;
      for (const resolve of this.idle.splice(0)) resolve();
      if (!this.stopped && this.queue.length > 0) this.kick();
    }
  }

  private async handle(rd: Ready): Promise<void> {
    if (rd.softState !== undefined) {
      this.isLeader = rd.softState.raftState === 'leader';
      this.d.onSoftState(rd.softState);
    }
    // A leader may send its appends while its own write is in flight (Raft thesis §10.2.1): its
    // entries count toward commit only after advance() says they are durable. Not when this Ready
    // raises its term or vote: a leader that sent entries of a term it has not persisted could
    // crash, win that term again, and write different entries at the same index and term.
    const sendFirst = this.isLeader && !this.changesTermOrVote(rd.hardState);
    if (sendFirst) this.sendAll(rd.messages);
    // Committed entries already in this member's durable log are applied while this Ready's
    // write is in flight, not after its fsync: a leader's clients are answered without waiting
    // for the fsync of the proposals made after theirs, and a follower's apply overlaps the write
    // it acknowledges after. (A leader's committed entries are always durable here: its own
    // appends count toward commit only after advance.) Their backend writes ride the next
    // synced batch. Entries this Ready commits and writes at once are applied after the write.
    let toApply = rd.committedEntries;
    if (rd.snapshot !== undefined) await this.persistSnapshot(rd.snapshot, rd.hardState);
    const durable = rd.snapshot === undefined && toApply.length > 0 ? durablePrefix(toApply, this.d.storage.lastIndex()) : 0;
    const writing = rd.entries.length > 0 || rd.hardState !== undefined ? this.persist(rd.hardState, rd.entries, rd.mustSync) : undefined;
    if (durable > 0) {
      // The write's failure is awaited below (and fatal); keep it from counting as unhandled meanwhile.
      writing?.catch(() => undefined);
      await this.d.apply(toApply.slice(0, durable));
      toApply = toApply.slice(durable);
    }
    await writing;
    if (rd.hardState !== undefined) this.d.storage.setHardState(rd.hardState);
    this.d.storage.append(rd.entries);
    // Followers and candidates answer only once what they promise is durable (votes, appends).
    if (!sendFirst) this.sendAll(rd.messages);
    if (rd.readStates.length > 0) this.d.onReadStates(rd.readStates);
    if (toApply.length > 0) await this.d.apply(toApply);
  }

  /** Against the last persisted hard state (MemoryStorage holds it once the WAL has it). */
  private changesTermOrVote(hs: HardState | undefined): boolean {
    if (hs === undefined) return false;
    const persisted = this.d.storage.initialState().hardState;
    return hs.term !== persisted.term || hs.vote !== persisted.vote;
  }

  private async persist(hs: HardState | undefined, entries: readonly Entry[], sync: boolean): Promise<void> {
    const start = this.d.clock.now();
    await this.d.wal.save(hs, entries, { sync });
    if (sync) this.d.onWalSync?.((this.d.clock.now() - start) / 1000);
  }

  private async persistSnapshot(snapshot: Snapshot, hs: HardState | undefined): Promise<void> {
    await this.d.installSnapshot(snapshot);
    await this.d.wal.saveSnapshot(snapshot.metadata, hs);
    this.d.storage.applySnapshot(snapshot);
  }

  private sendAll(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    const plain: Message[] = [];
    for (const m of messages) {
      if (m.type === 'MsgSnap') this.d.sendSnapshot(m);
      else plain.push(m);
    }
    if (plain.length > 0) this.d.send(plain);
  }
}

/** How many of `entries` (consecutive, ascending) are at or below `lastDurable`. */
function durablePrefix(entries: readonly Entry[], lastDurable: number): number {
  const first = (entries[0] as Entry).index;
  return Math.max(0, Math.min(entries.length, lastDurable - first + 1));
}
