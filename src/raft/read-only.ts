/**
 * Pending ReadIndex requests on the leader (etcd-io/raft `read_only.go`). In the safe mode a
 * request is answered once a quorum acknowledged a heartbeat carrying its context (or a later
 * one's: requests are queued in order, and an ack for a later request proves leadership after
 * the earlier ones arrived too — that is how reads waiting at one moment share one round).
 * Requests are keyed by context alone, as in etcd: the application must make contexts unique
 * across members and restarts (etcd uses its request IDs; cairn's server/read-index.ts does
 * the same), or a colliding request is dropped and a late answer can be taken for another's.
 */
import { bytesKey } from './entries.js';
import type { NodeId } from './types.js';

export type ReadOnlyOption = 'safe' | 'leaseBased';

/** Who asked (this node, or a follower that forwarded MsgReadIndex) and with what context. */
export interface ReadRequest {
  readonly from: NodeId;
  readonly context: Uint8Array;
}

interface ReadIndexStatus {
  readonly req: ReadRequest;
  readonly index: number;
  readonly acks: Set<NodeId>;
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  constructor(
    readonly option: ReadOnlyOption,
    /** Bound on queued requests; beyond it new ones are dropped (the caller times out). */
    readonly maxPending = 10_000,
  ) {}

  /** Whether a request with this context is waiting for its heartbeat acks. */
  isPending(context: Uint8Array): boolean {
    return this.pending.has(bytesKey(context));
  }

  /** Queues a request with the commit index at its arrival; false if dropped (duplicate or full). */
  addRequest(index: number, req: ReadRequest): boolean {
    const key = bytesKey(req.context);
    if (this.pending.has(key) || this.queue.length >= this.maxPending) return false;
    this.pending.set(key, { req, index, acks: new Set() });
    this.queue.push(key);
    return true;
  }

  /** Records an ack of the heartbeat with `context`; returns the set of ackers so far. */
  recvAck(id: NodeId, context: Uint8Array): ReadonlyMap<NodeId, boolean> {
    const rs = this.pending.get(bytesKey(context));
    const votes = new Map<NodeId, boolean>();
    if (!rs) return votes;
    rs.acks.add(id);
    for (const a of rs.acks) votes.set(a, true);
    return votes;
  }

  /** Releases every request queued up to and including the one with `context`. */
  advance(context: Uint8Array): Array<{ req: ReadRequest; index: number }> {
    const key = bytesKey(context);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const released = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    return released.map((k) => {
      const rs = this.pending.get(k) as ReadIndexStatus;
      this.pending.delete(k);
      return { req: rs.req, index: rs.index };
    });
  }

  /** Context of the newest queued request: the one a heartbeat round should carry. */
  lastPendingContext(): Uint8Array | undefined {
    const k = this.queue[this.queue.length - 1];
    return k === undefined ? undefined : this.pending.get(k)?.req.context;
  }

  pendingCount(): number {
    return this.queue.length;
  }
}
