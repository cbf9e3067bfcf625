/**
 * Records concurrent client operations for the linearizability checker (Porcupine's
 * `Operation`, etcd robustness's `report.ClientReport`).
 *
 * Call `invoke` before the request leaves the client and `ok`/`fail` after its answer arrives:
 * the recorded interval then contains the real one, which is what makes the checker sound.
 * Besides the clock time each event gets a sequence number: in one process (the simulator with
 * its manual clock, or the chaos harness) the recorder sees events in their true order, so two
 * events at the same millisecond are still ordered correctly (`eventBefore`).
 */
import { assert } from '../../src/util/assert.js';

export type OperationStatus = 'ok' | 'unknown' | 'failed';

export interface Operation<I, O> {
  /** Index in the recorder, stable across JSON round trips. */
  readonly id: number;
  readonly client: number;
  readonly input: I;
  /** Present iff status is 'ok'. */
  readonly output?: O;
  readonly status: OperationStatus;
  readonly error?: string;
  readonly call: number;
  /** `Infinity` when the outcome is unknown: the op may take effect at any time after its call. */
  readonly return: number;
  /** Tie-breakers for equal timestamps (global event order seen by the recorder). */
  readonly callSeq?: number;
  readonly returnSeq?: number;
}

export interface TimeSource {
  now(): number;
}

interface Pending<I> {
  client: number;
  input: I;
  call: number;
  callSeq: number;
}

export class HistoryRecorder<I, O> {
  private readonly done: Array<Operation<I, O> | undefined> = [];
  private readonly pending = new Map<number, Pending<I>>();
  private readonly busyClients = new Set<number>();
  private seq = 0;

  constructor(private readonly clock: TimeSource) {}

  /**
   * Starts an operation. A client has at most one operation in flight (etcd robustness assumes
   * the same: it is what lets a client's own ops be ordered).
   */
  invoke(client: number, input: I): number {
    assert(!this.busyClients.has(client), () => `client ${client} already has an operation in flight`);
    const id = this.done.length;
    this.done.push(undefined);
    this.pending.set(id, { client, input, call: this.clock.now(), callSeq: this.seq++ });
    this.busyClients.add(client);
    return id;
  }

  ok(opId: number, output: O): void {
    const p = this.take(opId);
    this.done[opId] = { id: opId, ...p, output, status: 'ok', return: this.clock.now(), returnSeq: this.seq++ };
  }

  /**
   * The op ended without an answer. `failed`: it certainly had no effect (rejected before being
   * proposed); `unknown`: it may have taken effect at any later time (timeout, lost connection).
   */
  fail(opId: number, error: unknown, opts: { outcome: 'unknown' | 'failed' }): void {
    const p = this.take(opId);
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const unknown = opts.outcome === 'unknown';
    this.done[opId] = {
      id: opId,
      ...p,
      status: opts.outcome,
      error: text,
      return: unknown ? Infinity : this.clock.now(),
      ...(unknown ? {} : { returnSeq: this.seq++ }),
    };
  }

  inFlight(): number {
    return this.pending.size;
  }

  /** Every operation in invoke order; ops still in flight count as unknown outcome. */
  operations(): Array<Operation<I, O>> {
    return this.done.map((op, id) => {
      if (op !== undefined) return op;
      const p = this.pending.get(id);
      assert(p !== undefined, `operation ${id} is neither pending nor done`);
      return { id, ...p, status: 'unknown', error: 'still in flight when the history was taken', return: Infinity };
    });
  }

  private take(opId: number): Pending<I> {
    const p = this.pending.get(opId);
    assert(p !== undefined, () => `operation ${opId} is not in flight`);
    this.pending.delete(opId);
    this.busyClients.delete(p.client);
    return p;
  }
}

/** Real-time order: `a` happened before `b` (a time of `a`, then b time of `b`). */
export function eventBefore(aTime: number, aSeq: number | undefined, bTime: number, bSeq: number | undefined): boolean {
  if (aTime !== bTime) return aTime < bTime;
  return aSeq !== undefined && bSeq !== undefined && aSeq < bSeq;
}

/** Op `a` returned before op `b` was invoked, so every linearization puts `a` first. */
export function precedes<I, O>(a: Operation<I, O>, b: Operation<I, O>): boolean {
  return eventBefore(a.return, a.returnSeq, b.call, b.callSeq);
}

// JSON keeps failing histories for replay: Infinity and byte arrays need explicit encodings.
const INFINITY = { $num: 'Infinity' };

function encode(_key: string, value: unknown): unknown {
  if (value === Infinity) return INFINITY;
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  return value;
}

function decode(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if (v['$num'] === 'Infinity' && Object.keys(v).length === 1) return Infinity;
    if (typeof v['$bytes'] === 'string' && Object.keys(v).length === 1) {
      return new Uint8Array(Buffer.from(v['$bytes'], 'base64'));
    }
  }
  return value;
}

export function historyToJSON<I, O>(ops: ReadonlyArray<Operation<I, O>>): string {
  return JSON.stringify({ format: 'cairn-history-v1', operations: ops }, encode, 1);
}

export function historyFromJSON<I, O>(text: string): Array<Operation<I, O>> {
  const parsed = JSON.parse(text, decode) as { format?: unknown; operations?: unknown };
  assert(parsed.format === 'cairn-history-v1', 'not a cairn history (format cairn-history-v1)');
  assert(Array.isArray(parsed.operations), 'history has no operations array');
  return parsed.operations as Array<Operation<I, O>>;
}
