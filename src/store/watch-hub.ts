/**
 * The watch hub (etcd `mvcc/watchable_store.go`): fans each committed revision out to watchers
 * and catches slow or historical watchers up from the store's history.
 *
 * Watchers live in exactly one of three places, as in etcd:
 * - synced: up to date; `notify` hands them each new revision directly;
 * - unsynced: behind; a sync round reads history in bounded batches and feeds them;
 * - victims: their stream's buffer was full; each holds one undelivered response that is retried
 *   when the consumer makes room (etcd polls every 10 ms; here the read itself triggers it), after
 *   which the watcher rejoins unsynced or synced.
 * `notify` never waits on anyone: it only enqueues into bounded buffers, so a slow consumer can
 * never block apply or other watchers. Every response holds whole revisions, in order.
 *
 * Catch-up is paced by consumers (issue 15): a round reads history only for watchers whose
 * stream has room, only as many bytes as the member-wide catch-up budget has left, and cuts
 * responses at `batchMaxBytes`; a consumer taking a response frees room and budget, which
 * schedules the next round. A stream whose consumer stalls is canceled (see WatchStream).
 */
import { assert } from '../util/assert.js';
import type { Clock, Timer } from '../util/clock.js';
import { isKvError, KvError } from '../util/errors.js';
import type { CommitListener, Event, WatchSource } from './types.js';
import { CatchUpBudget, type CatchUpRead } from './watch-budget.js';
import { StallMonitor } from './watch-stall.js';
import { eventBytes } from './watch-fragment.js';
import { checkHistory } from './history.js';
import { WatchStream, type WatchHubLink } from './watch-stream.js';
import { DEFAULT_WATCH_HUB_OPTIONS, MIN_PROGRESS_NOTIFY_INTERVAL_MS, type WatchHubOptions, type WatchResponse } from './watch-types.js';
import type { OutgoingEvents, Watcher } from './watcher.js';
import { WatcherGroup, type EventBatch } from './watcher-group.js';

export interface WatchHubStats {
  readonly streams: number;
  readonly synced: number;
  readonly unsynced: number;
  readonly victims: number;
  /** Bytes of history read for catch-up that consumers have not taken yet. */
  readonly catchUpBytes: number;
}

export class WatchHub implements WatchHubLink {
  readonly options: WatchHubOptions;
  /** The last revision notified: what watchers consider "now". */
  private rev: number;
  private readonly synced = new WatcherGroup();
  private readonly unsynced = new Set<Watcher>();
  private readonly victims = new Set<Watcher>();
  private readonly progressWatchers = new Set<Watcher>();
  private readonly streams = new Set<WatchStream>();
  /** Bumped by restore(): a sync round that started before it discards what it read. */
  private epoch = 0;
  private syncing: Promise<void> | undefined;
  private syncTimer: Timer | undefined;
  private syncTimerAt = 0;
  private progressTimer: Timer | undefined;
  private readonly stalls: StallMonitor;
  private readonly budget: CatchUpBudget;
  private closed = false;
  /** The last unexpected error from reading history (the round is retried on the timer). */
  lastSyncError: unknown;

  /** Pass this to the kv store: it is called after each durable write, in revision order. */
  readonly listener: CommitListener = (revision, events) => this.notify(revision, events);

  constructor(
    readonly source: WatchSource,
    private readonly clock: Clock,
    options: Partial<WatchHubOptions> = {},
  ) {
    this.options = { ...DEFAULT_WATCH_HUB_OPTIONS, ...options };
    for (const [name, value] of Object.entries(this.options)) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new KvError('InvalidArgument', `watch hub option ${name} must be a positive integer`);
    }
    if (this.options.progressNotifyIntervalMs < MIN_PROGRESS_NOTIFY_INTERVAL_MS) {
      throw new KvError('InvalidArgument', `progress notify interval must be at least ${MIN_PROGRESS_NOTIFY_INTERVAL_MS} ms`);
    }
    this.rev = source.currentRevision();
    this.stalls = new StallMonitor(clock, this.options.slowConsumerCancelMs);
    this.budget = new CatchUpBudget(this.options.catchUpMaxBytes, () => {
      if (this.unsynced.size > 0) this.schedule(0);
    });
  }

  revision(): number {
    return this.rev;
  }

  now(): number {
    return this.clock.now();
  }

  newStream(): WatchStream {
    if (this.closed) throw new KvError('Stopped');
    const stream = new WatchStream(this);
    this.streams.add(stream);
    return stream;
  }

  /** etcd's watchableStore.notify: one revision's events go to every synced watcher they match. */
  notify(revision: number, events: readonly Event[]): void {
    assert(revision > this.rev, () => `watch notify of revision ${revision} after ${this.rev}`);
    for (const ev of events) assert(ev.kv.modRevision === revision, () => `event at ${ev.kv.modRevision} notified as revision ${revision}`);
    if (revision > this.rev + 1) {
      // Revisions arrived without a notify (a snapshot restore nobody told us about): synced
      // watchers would silently miss them, so all of them re-read history, this revision included.
      this.resyncFrom(this.rev, revision);
      return;
    }
    this.rev = revision;
    if (events.length === 0 || this.synced.size === 0) return;
    const blocked: [Watcher, OutgoingEvents][] = [];
    const send = (w: Watcher, evs: readonly Event[], bytes: number): void => {
      const out: OutgoingEvents = { response: { watchId: w.id, headerRevision: revision, events: evs }, bytes };
      if (!w.sink.tryPushEvents(w, out)) blocked.push([w, out]);
    };
    const only = events.length === 1 ? events[0] : undefined;
    if (only !== undefined) {
      // The common single-event revision: every watcher shares one events array, no batching.
      const bytes = eventBytes(only);
      this.synced.forEachMatch(only.kv.key, (w) => {
        if (revision >= w.minRev && w.accepts(only)) send(w, events, bytes);
      });
    } else {
      const oneRevision = { maxRevisions: 1, maxBytes: Infinity };
      for (const [w, batch] of this.synced.batches(events, oneRevision)) send(w, batch.events, batch.bytes);
    }
    for (const [w, out] of blocked) this.makeVictim(w, out, revision + 1);
  }

  /**
   * After the store was replaced by a snapshot: every synced watcher may have missed the
   * revisions the snapshot skipped, so all of them catch up from history (etcd's Restore).
   */
  restore(): void {
    this.resyncFrom(this.rev, this.source.currentRevision());
  }

  /** Runs one catch-up round now (victims, then a batch of unsynced watchers) and waits for it. */
  async syncNow(): Promise<void> {
    if (this.syncing !== undefined) await this.syncing;
    await this.runSync();
  }

  stats(): WatchHubStats {
    return {
      streams: this.streams.size,
      synced: this.synced.size,
      unsynced: this.unsynced.size,
      victims: this.victims.size,
      catchUpBytes: this.budget.inUse,
    };
  }

  /** Stops the timers and closes every stream. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.syncTimer?.cancel();
    this.progressTimer?.cancel();
    this.stalls.close();
    for (const stream of [...this.streams]) stream.close();
  }

  // ---- WatchHubLink: called by streams ----

  register(w: Watcher, startRevision: number): void {
    assert(!this.closed, 'watch registered on a closed hub');
    if (startRevision === 0 || startRevision > this.rev) {
      // etcd: a watch from now or from the future is synced; it skips revisions below minRev.
      w.minRev = Math.max(this.rev + 1, startRevision);
      w.state = 'synced';
      this.synced.add(w);
    } else {
      w.minRev = startRevision;
      w.state = 'unsynced';
      this.unsynced.add(w);
      this.schedule(0);
    }
    if (w.progressNotify) {
      this.progressWatchers.add(w);
      this.progressTimer ??= this.clock.setInterval(() => this.progressTick(), this.options.progressNotifyIntervalMs);
    }
  }

  unregister(w: Watcher): void {
    switch (w.state) {
      case 'synced':
        this.synced.delete(w);
        break;
      case 'unsynced':
        this.unsynced.delete(w);
        break;
      case 'victim':
        this.victims.delete(w);
        break;
      case 'done':
        break;
    }
    w.state = 'done';
    w.pending?.read?.release();
    w.pending = undefined;
    this.progressWatchers.delete(w);
  }

  onDrain(stream: WatchStream): void {
    // Room on a stream is what unsynced watchers wait for: reading resumes at the consumer's pace.
    if (this.unsynced.size > 0) this.schedule(0);
    if (this.victims.size === 0) return;
    for (const w of stream.watchersOfStream()) {
      if (w.state === 'victim' && !this.retryVictim(w)) return;
    }
  }

  backlogChanged(stream: WatchStream, backlogged: boolean): void {
    this.stalls.backlogChanged(stream, backlogged);
  }

  streamClosed(stream: WatchStream): void {
    this.streams.delete(stream);
    this.stalls.forget(stream);
  }

  // ---- internals ----

  private resyncFrom(oldRev: number, newRev: number): void {
    assert(newRev >= oldRev, () => `restored store revision ${newRev} is behind watch revision ${oldRev}`);
    this.epoch++;
    this.rev = newRev;
    for (const w of [...this.synced]) {
      this.synced.delete(w);
      w.minRev = Math.max(w.minRev, oldRev + 1);
      w.state = 'unsynced';
      this.unsynced.add(w);
    }
    this.schedule(0);
  }

  private makeVictim(w: Watcher, out: OutgoingEvents, nextMinRev: number): void {
    if (w.state === 'synced') this.synced.delete(w);
    else if (w.state === 'unsynced') this.unsynced.delete(w);
    assert(w.state === 'synced' || w.state === 'unsynced', () => `watcher in state ${w.state} cannot become a victim`);
    w.state = 'victim';
    w.pending = { ...out, nextMinRev };
    // No timer: room only appears when the consumer reads, and each read retries (onDrain).
    // A consumer that never reads costs nothing after this.
    this.victims.add(w);
  }

  /** etcd's moveVictims for one watcher: deliver its held response, then place it by minRev. */
  private retryVictim(w: Watcher): boolean {
    const pending = w.pending;
    assert(pending !== undefined, 'victim without a pending response');
    if (!w.sink.tryPushEvents(w, pending)) return false;
    this.victims.delete(w);
    w.pending = undefined;
    w.minRev = pending.nextMinRev;
    w.state = 'unsynced';
    this.unsynced.add(w);
    this.settle(w);
    return true;
  }

  /** An unsynced watcher that has everything up to the current revision joins the synced group. */
  private settle(w: Watcher): void {
    this.unsynced.delete(w);
    if (w.minRev > this.rev) {
      w.state = 'synced';
      this.synced.add(w);
    } else {
      // Re-adding moves it to the back, so a large unsynced set is served round-robin.
      this.unsynced.add(w);
      this.schedule(0);
    }
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    const at = this.clock.now() + delayMs;
    if (this.syncTimer !== undefined) {
      // A round already due sooner stands; a later one (the idle poll) gives way to this.
      if (this.syncTimerAt <= at) return;
      this.syncTimer.cancel();
    }
    this.syncTimerAt = at;
    this.syncTimer = this.clock.setTimeout(() => {
      this.syncTimer = undefined;
      void this.runSync();
    }, delayMs);
  }

  private runSync(): Promise<void> {
    if (this.syncing !== undefined) return this.syncing;
    const round = this.syncRound().then((progressed) => {
      this.syncing = undefined;
      if (this.unsynced.size > 0) this.schedule(progressed ? 0 : this.options.syncIntervalMs);
    });
    this.syncing = round;
    return round;
  }

  private retryAllVictims(): boolean {
    let moved = false;
    for (const w of [...this.victims]) if (this.retryVictim(w)) moved = true;
    return moved;
  }

  /**
   * etcd's syncWatchers, with the history read bounded to `syncReadMaxEvents` events and to
   * `syncReadMaxBytes` or what is left of the catch-up budget, for watchers whose stream has room.
   */
  private async syncRound(): Promise<boolean> {
    let progressed = this.retryAllVictims();
    if (this.closed || this.unsynced.size === 0) return progressed;
    const epoch = this.epoch;
    const curRev = this.rev;
    const compactRev = this.source.compactedRevision();
    const chosen = new WatcherGroup();
    let minRev = Number.MAX_SAFE_INTEGER;
    for (const w of [...this.unsynced]) {
      if (chosen.size >= this.options.maxWatchersPerSync) break;
      if (w.minRev > curRev) {
        this.settle(w);
        progressed = true;
      } else if (w.minRev < compactRev) {
        // etcd: created, then `compact_revision` and canceled; retried next round if the buffer is full.
        const notice: WatchResponse = { watchId: w.id, headerRevision: 0, events: [], canceled: true, compactRevision: compactRev };
        if (w.sink.tryPushNotice(notice)) {
          w.sink.forget(w);
          progressed = true;
        }
      } else if (w.sink.hasRoom()) {
        chosen.add(w);
        minRev = Math.min(minRev, w.minRev);
      }
      // A watcher whose consumer has not made room waits: onDrain schedules the next round.
    }
    const maxBytes = Math.min(this.options.syncReadMaxBytes, this.budget.available());
    // A spent budget is refilled by consumers taking responses, which schedules a round.
    if (chosen.size === 0 || maxBytes === 0) return progressed;

    const maxEvents = this.options.syncReadMaxEvents;
    let events: Event[];
    try {
      events = await this.source.readEvents(minRev, curRev, maxEvents, maxBytes);
    } catch (err) {
      // A compaction that overtook us is handled next round (those watchers get the cancel).
      if (!isKvError(err, 'Compacted')) this.lastSyncError = err;
      return progressed;
    }
    if (this.closed || epoch !== this.epoch) return progressed;
    const compactNow = this.source.compactedRevision();
    if (compactNow > compactRev && compactNow > minRev) return progressed;

    const last = events[events.length - 1];
    let readBytes = 0;
    for (const ev of events) readBytes += eventBytes(ev);
    const readTo = last !== undefined && (events.length >= maxEvents || readBytes >= maxBytes) ? last.kv.modRevision : curRev;
    checkHistory(events, minRev, readTo);
    const batches = chosen.batches(events, { maxRevisions: this.options.batchMaxRevisions, maxBytes: this.options.batchMaxBytes });
    // The round holds the read until every response is placed; each response holds its own reference.
    const read = this.budget.charge(readBytes);
    try {
      progressed = this.deliverRound(chosen, batches, readTo, read) || progressed;
    } finally {
      read.release();
    }
    return progressed;
  }

  /** Hands each chosen watcher its batch of a history read (or moves it on if it had none). */
  private deliverRound(chosen: WatcherGroup, batches: Map<Watcher, EventBatch>, readTo: number, read: CatchUpRead): boolean {
    let progressed = false;
    for (const w of chosen) {
      if (w.state !== 'unsynced') continue; // canceled while we read
      progressed = true;
      const batch = batches.get(w);
      const through = batch !== undefined && batch.moreRev !== 0 ? batch.moreRev - 1 : readTo;
      const nextMinRev = Math.max(w.minRev, through + 1);
      if (batch === undefined) {
        w.minRev = nextMinRev;
        this.settle(w);
        continue;
      }
      // The header revision is `through`: everything this watcher needs up to it is in here.
      const response: WatchResponse = { watchId: w.id, headerRevision: through, events: batch.events };
      const out: OutgoingEvents = { response, bytes: batch.bytes, read: read.retain() };
      if (w.sink.tryPushEvents(w, out)) {
        w.minRev = nextMinRev;
        this.settle(w);
      } else {
        this.makeVictim(w, out, nextMinRev);
      }
    }
    return progressed;
  }

  /** etcd's per-stream progress ticker: a synced watcher with no events since the last tick gets one. */
  private progressTick(): void {
    if (this.progressWatchers.size === 0) {
      this.progressTimer?.cancel();
      this.progressTimer = undefined;
      return;
    }
    for (const w of this.progressWatchers) {
      if (w.progressDue && w.state === 'synced') w.sink.tryPushNotice({ watchId: w.id, headerRevision: this.rev, events: [] });
      w.progressDue = true;
    }
  }
}
