/**
 * Linearizable reads (etcd `linearizableReadLoop`): every read that arrives while no ReadIndex
 * round is in flight joins the next one, so one heartbeat round serves them all. A read is
 * released once this member has applied up to the index the leader confirmed (Raft thesis
 * §6.4). Lost requests are re-sent with the same context; each read has its own deadline.
 *
 * A round's context is unique across the cluster and across restarts, as etcd's request IDs
 * are: the leader keys pending reads by context alone, so two members numbering their rounds
 * alike would collide (one dropped until its retry), and a late answer to a previous process's
 * round must never be taken for this process's (it carries an older index: a stale read).
 */
import type { ReadState } from '../raft/types.js';
import { bytesEqual } from '../util/bytes.js';
import type { Clock, Timer } from '../util/clock.js';
import { KvError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

/** Context bytes: member ID, then a per-process random nonce, then the round number. */
const CONTEXT_BYTES = 24;

interface Reader {
  resolve(): void;
  reject(err: Error): void;
  timer: Timer;
  done: boolean;
}

interface Round {
  readonly ctx: Uint8Array;
  readonly readers: Reader[];
  retry: Timer;
}

export interface ReadIndexOptions {
  readonly clock: Clock;
  /** This member's ID and randomness: together they make round contexts unique (see above). */
  readonly memberId: number;
  readonly rng: Rng;
  /** Asks raft for a read index; raft answers with a ReadState carrying `ctx`. */
  readonly requestReadIndex: (ctx: Uint8Array) => void;
  readonly appliedIndex: () => number;
  readonly timeoutMs: number;
  /** Re-send an unanswered request after this long (etcd: 500 ms). */
  readonly retryMs: number;
  /** Readers waiting for a round, at most (beyond: too many requests). */
  readonly maxWaiting: number;
}

export class ReadIndexBatcher {
  private waiting: Reader[] = [];
  private round: Round | undefined;
  /** Confirmed rounds waiting for apply to reach their index, in arrival order. */
  private confirmed: Array<{ index: number; readers: Reader[] }> = [];
  private seq = 0;
  private stopped = false;
  private startScheduled = false;
  /** Member ID and nonce: the first 16 bytes of every context this process sends. */
  private readonly contextPrefix = new Uint8Array(16);

  constructor(private readonly o: ReadIndexOptions) {
    const view = new DataView(this.contextPrefix.buffer);
    view.setFloat64(0, o.memberId);
    view.setUint32(8, o.rng.int(2 ** 32));
    view.setUint32(12, o.rng.int(2 ** 32));
  }

  /** Resolves when a linearizable read may be served from local state. */
  wait(): Promise<void> {
    if (this.stopped) return Promise.reject(new KvError('Stopped'));
    if (this.waiting.length >= this.o.maxWaiting) return Promise.reject(new KvError('TooManyRequests'));
    return new Promise<void>((resolve, reject) => {
      const reader: Reader = {
        resolve,
        reject,
        done: false,
        timer: this.o.clock.setTimeout(() => this.finish(reader, new KvError('Timeout')), this.o.timeoutMs),
      };
      this.waiting.push(reader);
      // Start on the next microtask so every read issued in this turn of the event loop shares the round.
      if (!this.startScheduled) {
        this.startScheduled = true;
        queueMicrotask(() => {
          this.startScheduled = false;
          this.startRound();
        });
      }
    });
  }

  onReadState(rs: ReadState): void {
    const round = this.round;
    if (round === undefined || !bytesEqual(rs.requestCtx, round.ctx)) return;
    round.retry.cancel();
    this.round = undefined;
    this.confirmed.push({ index: rs.index, readers: round.readers });
    this.onApplied(this.o.appliedIndex());
    this.startRound();
  }

  onApplied(applied: number): void {
    const still: typeof this.confirmed = [];
    for (const c of this.confirmed) {
      if (c.index <= applied) for (const r of c.readers) this.finish(r);
      else still.push(c);
    }
    this.confirmed = still;
  }

  /** Fails everything (member stopping). */
  stop(): void {
    this.stopped = true;
    const err = new KvError('Stopped');
    this.round?.retry.cancel();
    const all = [...this.waiting, ...(this.round?.readers ?? []), ...this.confirmed.flatMap((c) => c.readers)];
    this.waiting = [];
    this.round = undefined;
    this.confirmed = [];
    for (const r of all) this.finish(r, err);
  }

  get pending(): number {
    return this.waiting.length + (this.round?.readers.length ?? 0) + this.confirmed.reduce((n, c) => n + c.readers.length, 0);
  }

  private startRound(): void {
    if (this.round !== undefined || this.stopped) return;
    const readers = this.waiting.filter((r) => !r.done);
    this.waiting = [];
    if (readers.length === 0) return;
    const ctx = new Uint8Array(CONTEXT_BYTES);
    ctx.set(this.contextPrefix);
    new DataView(ctx.buffer).setFloat64(16, ++this.seq);
    const round: Round = { ctx, readers, retry: this.o.clock.setInterval(() => this.send(round), this.o.retryMs) };
    this.round = round;
    this.send(round);
  }

  private send(round: Round): void {
    if (round.readers.every((r) => r.done)) {
      // Every reader timed out: abandon the round so new readers are not stuck behind it.
      round.retry.cancel();
      if (this.round === round) this.round = undefined;
      this.startRound();
      return;
    }
    try {
      this.o.requestReadIndex(round.ctx);
    } catch {
      // No leader right now: the retry timer asks again; each reader's deadline bounds the wait.
    }
  }

  private finish(reader: Reader, err?: Error): void {
    if (reader.done) return;
    reader.done = true;
    reader.timer.cancel();
    if (err === undefined) reader.resolve();
    else reader.reject(err);
  }
}
