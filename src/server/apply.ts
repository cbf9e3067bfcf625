/**
 * Applies committed entries in log order (etcd `applierV3` + `applyConfChange`). Each entry's
 * effects and the applied index are one backend write, which is never split across batches. Entries the backend already holds (at
 * or below its recorded applied index, replayed after a restart) change nothing in the backend,
 * but conf changes among them are still handed to raft, whose membership restarts from the
 * WAL's snapshot.
 */
import { Packr } from 'msgpackr';
import { decodeConfChange, type RawNode } from '../raft/index.js';
import type { ConfChangeV2, ConfState, Entry } from '../raft/types.js';
import type { Backend, BackendOp } from '../storage/backend.js';
import type { KvStore } from '../store/kv-store.js';
import { assert, assertNever } from '../util/assert.js';
import type { Clock } from '../util/clock.js';
import { KvError } from '../util/errors.js';
import { appliedStateOp } from './applied-state.js';
import type { Cluster, Member } from './membership.js';
import { decodeRequest, type InternalRequest } from './requests.js';
import type { WaitRegistry } from './wait.js';
import type { AuthStamp } from './auth/auth-requests.js';

export type ApplyResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: KvError };

/** What a conf change entry carries in its context: the proposer's request id and the member. */
export interface ConfChangeContext {
  readonly requestId: string;
  readonly member?: Member;
}

const packr = new Packr({ useRecords: false });

/** etcd's warnApplyDuration: an apply slower than this counts in etcd_server_slow_apply_total. */
export const SLOW_APPLY_MS = 100;

export function encodeConfChangeContext(ctx: ConfChangeContext): Uint8Array {
  return packr.pack(ctx);
}

function decodeConfChangeContext(data: Uint8Array): ConfChangeContext | undefined {
  if (data.length === 0) return undefined;
  const ctx = packr.unpack(data) as Partial<ConfChangeContext> | null;
  if (ctx === null || typeof ctx !== 'object' || typeof ctx.requestId !== 'string') {
    throw new KvError('StorageCorrupt', 'cairn: conf change context is malformed');
  }
  return ctx as ConfChangeContext;
}

/** The parts of a request the applier cannot do itself (leases, alarms come from other modules). */
export interface ApplyExtensions {
  apply(request: InternalRequest, extra: readonly BackendOp[], index: number): Promise<unknown> | undefined;
}

export interface ApplierDeps {
  readonly node: RawNode;
  readonly store: KvStore;
  readonly backend: Backend;
  readonly cluster: Cluster;
  readonly waits: WaitRegistry<ApplyResult>;
  readonly extensions?: ApplyExtensions;
  /** Refuses a request at apply time (e.g. NOSPACE); every member decides alike from replicated state. */
  readonly admit?: (request: InternalRequest, auth: AuthStamp | undefined) => void;
  /** Times each request's apply; one slower than etcd's 100 ms warning is reported. */
  readonly slowApply?: { readonly clock: Clock; onSlow(op: InternalRequest['op'], ms: number): void };
  /** Membership changed (the member updates its transport peers and metrics). */
  onMembership(cluster: Cluster): void;
  /** This member was removed from the cluster. */
  onRemoved(): void;
  readonly selfId: number;
}

export class Applier {
  constructor(
    private readonly d: ApplierDeps,
    /** Last applied entry. */
    private applied: number,
    /** The backend's recorded applied index: entries at or below are already in it. */
    private readonly backendApplied: number,
    private confState: ConfState,
    private appliedTerm: number,
  ) {}

  get appliedIndex(): number {
    return this.applied;
  }

  get appliedTermValue(): number {
    return this.appliedTerm;
  }

  get currentConfState(): ConfState {
    return this.confState;
  }

  /** After a snapshot is installed, apply continues from its index. */
  resetTo(index: number, term: number, confState: ConfState): void {
    this.applied = index;
    this.appliedTerm = term;
    this.confState = confState;
  }

  /**
   * Applies `entries` in order. Their writes wait in the buffered backend (visible to reads at
   * once) and land, with their applied index, in the data dir's next synced batch: the next
   * Ready's, or a flush of their own within a few milliseconds (buffered-backend.ts). A crash
   * before that loses them from the backend only; the WAL still holds the entries and the
   * restart re-applies them.
   */
  async applyAll(entries: readonly Entry[]): Promise<void> {
    for (const e of entries) {
      if (e.index <= this.applied) continue;
      assert(e.index === this.applied + 1, () => `apply gap: applied ${this.applied}, next entry ${e.index}`);
      await this.applyOne(e);
      this.applied = e.index;
      this.appliedTerm = e.term;
    }
  }

  private async applyOne(e: Entry): Promise<void> {
    switch (e.type) {
      case 'normal':
        if (e.index <= this.backendApplied) return; // replay: the backend holds its effects
        // An election no-op changes nothing but the applied index, which the backend records too:
        // a snapshot record is never above the backend's applied index (bootstrap.ts checks it).
        if (e.data.length === 0) return this.d.backend.write([this.appliedOp(e)]);
        return this.applyRequest(e);
      case 'confChangeV2':
        return this.applyConfChange(e, decodeConfChange(e.data));
      case 'confChange':
        throw new KvError('StorageCorrupt', `cairn: entry ${e.index} is a v1 conf change, which cairn never writes`);
      default:
        assertNever(e.type, 'entry type');
    }
  }

  private appliedOp(e: Entry): BackendOp {
    return appliedStateOp({ index: e.index, term: e.term, confState: this.confState });
  }

  private async applyRequest(e: Entry): Promise<void> {
    const { id, request, auth } = decodeRequest(e.data);
    const extra = [this.appliedOp(e)];
    const started = this.d.slowApply?.clock.now();
    let result: ApplyResult;
    try {
      this.d.admit?.(request, auth);
      result = { ok: true, value: await this.execute(request, extra, e.index) };
    } catch (err) {
      if (!(err instanceof KvError) || err.code === 'StorageCorrupt') throw err;
      // A rejected request consumed no revision, but the entry is applied: record that alone.
      await this.d.backend.write(extra);
      result = { ok: false, error: err };
    }
    if (started !== undefined) {
      const ms = (this.d.slowApply?.clock.now() ?? started) - started;
      if (ms > SLOW_APPLY_MS) this.d.slowApply?.onSlow(request.op, ms);
    }
    this.d.waits.trigger(id, result);
  }

  private execute(request: InternalRequest, extra: readonly BackendOp[], index: number): Promise<unknown> {
    switch (request.op) {
      case 'put':
        return this.d.store.put(request.request, extra);
      case 'deleteRange':
        return this.d.store.deleteRange(request.request, extra);
      case 'txn':
        return this.d.store.txn(request.request, extra);
      case 'compact':
        return this.d.store.compact(request.revision, extra);
      case 'publish':
        return this.applyPublish(request, extra);
      case 'leaseGrant':
      case 'leaseRevoke':
      case 'alarm':
      case 'auth': {
        const done = this.d.extensions?.apply(request, extra, index);
        if (done === undefined) throw new KvError('NotCapable');
        return done;
      }
      default:
        return assertNever(request, 'request');
    }
  }

  private async applyPublish(request: Extract<InternalRequest, { op: 'publish' }>, extra: readonly BackendOp[]): Promise<unknown> {
    const ops = this.d.cluster.update(request.memberId, { name: request.name, clientUrls: request.clientUrls });
    await this.d.backend.write([...ops, ...extra]);
    if (ops.length > 0) this.d.onMembership(this.d.cluster);
    return {};
  }

  private async applyConfChange(e: Entry, cc: ConfChangeV2): Promise<void> {
    const ctx = decodeConfChangeContext(cc.context);
    this.confState = this.d.node.applyConfChange(cc);
    if (e.index <= this.backendApplied) return;
    const ops: BackendOp[] = [];
    let removedSelf = false;
    for (const change of cc.changes) {
      switch (change.type) {
        case 'addNode':
        case 'addLearnerNode': {
          const existing = this.d.cluster.get(change.nodeId);
          const member = ctx?.member ?? existing;
          if (member !== undefined) ops.push(...this.d.cluster.add({ ...member, isLearner: change.type === 'addLearnerNode' }));
          break;
        }
        case 'removeNode':
          ops.push(...this.d.cluster.remove(change.nodeId));
          if (change.nodeId === this.d.selfId) removedSelf = true;
          break;
        case 'updateNode':
          if (ctx?.member !== undefined) ops.push(...this.d.cluster.update(change.nodeId, { peerUrls: ctx.member.peerUrls }));
          break;
        default:
          assertNever(change.type, 'conf change type');
      }
    }
    ops.push(this.appliedOp(e));
    await this.d.backend.write(ops);
    this.d.onMembership(this.d.cluster);
    if (ctx !== undefined) this.d.waits.trigger(ctx.requestId, { ok: true, value: this.d.cluster.list() });
    if (removedSelf) this.d.onRemoved();
  }
}
