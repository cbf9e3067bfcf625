/**
 * Linearizability checker: Wing & Gong's search with Lowe's memoisation, as in Porcupine
 * (anishathalye/porcupine `checker.go`) and Horn & Kroening's P-compositionality
 * (arXiv 1504.00204): the history is split by `model.partition` and each part checked alone.
 *
 * Events (calls and returns) sit in a doubly-linked list sorted by time. The search takes the
 * first call in the list whose step is legal, lifts it and its return out of the list and
 * pushes a frame; reaching a return at the head means nothing before it can go next, so it pops
 * and tries the next alternative. (linearized-set, state) pairs already explored are skipped.
 *
 * Unknown outcomes (etcd robustness practice): ops with status 'unknown' keep return = +∞ and
 * no output, so they may linearize anywhere after their call — at the very end that is
 * "never happened". Read-only ops that did not succeed, and ops that certainly 'failed', are
 * dropped. A model may be non-deterministic: `step` returns every possible next state.
 */
import { assert } from '../../src/util/assert.js';
import { eventBefore, type Operation } from './history.js';

export interface Model<I, O, S> {
  init(): S;
  /** Next states if `input` (with `output`, or undefined for an unknown outcome) is legal in `state`; [] if illegal. */
  step(state: S, input: I, output: O | undefined): readonly S[];
  /** Identity of a state for memoisation: equal keys ⇔ equal states. */
  stateKey(state: S): string;
  /** Ops in different partitions never interact (e.g. one partition per key). */
  partition?(input: I): string;
  /**
   * Search order hint, lower first (e.g. the revision an op observed); +∞ for "no idea"
   * (unknown outcomes), tried right after the best finite candidate. Only speeds the search
   * up: every candidate is still tried.
   */
  priority?(input: I, output: O | undefined): number;
  /** True for ops without side effects: dropped when they have no output. */
  isReadOnly?(input: I): boolean;
  describeOperation?(input: I, output: O | undefined): string;
  describeState?(state: S): string;
}

export type CheckResult = 'ok' | 'illegal' | 'unknown';

export interface Budget {
  /** Wall-clock budget per partition; exceeded → 'unknown'. */
  maxMillis?: number;
  /**
   * Search steps per partition; exceeded → 'unknown'. Memory grows with it: each step may keep
   * one (bitset, state) memo entry, ~(ops/8 + 100) bytes.
   */
  maxSteps?: number;
  /** Wall-clock budget for all partitions together; partitions past it report 'unknown'. */
  maxTotalMillis?: number;
}

export interface IllegalExplanation<I, O> {
  /** Longest linearizable prefix the search found, in linearization order. */
  readonly longestPrefix: ReadonlyArray<Operation<I, O>>;
  readonly stateAfterPrefix: string;
  /** The op that could not be placed: its return precedes every remaining op that could go next. */
  readonly blocked: Operation<I, O>;
  /** Ops that were candidates (invoked before `blocked` returned) at that point. */
  readonly candidates: ReadonlyArray<Operation<I, O>>;
}

export interface PartitionResult<I, O> {
  readonly partition: string;
  readonly result: CheckResult;
  readonly operations: number;
  readonly steps: number;
  readonly millis: number;
  readonly explanation?: IllegalExplanation<I, O>;
}

export interface LinearizabilityReport<I, O> {
  /** 'illegal' if any partition is, else 'unknown' if any ran out of budget, else 'ok'. */
  readonly result: CheckResult;
  readonly partitions: ReadonlyArray<PartitionResult<I, O>>;
  /** Ops dropped before the search (failed ops, reads without output). */
  readonly dropped: number;
}

const DEFAULT_BUDGET: Required<Budget> = { maxMillis: 10_000, maxSteps: 2_000_000, maxTotalMillis: 60_000 };

export function checkLinearizability<I, O, S>(
  model: Model<I, O, S>,
  history: ReadonlyArray<Operation<I, O>>,
  budget: Budget = {},
): LinearizabilityReport<I, O> {
  const limits = { ...DEFAULT_BUDGET, ...budget };
  const deadline = performance.now() + limits.maxTotalMillis;
  const parts = new Map<string, Array<Operation<I, O>>>();
  let dropped = 0;
  for (const op of history) {
    if (!isRelevant(model, op)) {
      dropped++;
      continue;
    }
    const key = model.partition?.(op.input) ?? '';
    let part = parts.get(key);
    if (part === undefined) parts.set(key, (part = []));
    part.push(op);
  }
  const partitions = [...parts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, ops]) => {
      const left = deadline - performance.now();
      return checkPartition(model, key, ops, { ...limits, maxMillis: Math.max(0, Math.min(limits.maxMillis, left)) });
    });
  const result: CheckResult = partitions.some((p) => p.result === 'illegal')
    ? 'illegal'
    : partitions.some((p) => p.result === 'unknown')
      ? 'unknown'
      : 'ok';
  return { result, partitions, dropped };
}

function isRelevant<I, O, S>(model: Model<I, O, S>, op: Operation<I, O>): boolean {
  switch (op.status) {
    case 'ok':
      assert(op.output !== undefined, () => `op ${op.id} is ok but has no output`);
      return true;
    case 'failed':
      return false;
    case 'unknown':
      return !(model.isReadOnly?.(op.input) ?? false);
  }
}

/** The linked list of call/return events of one partition, in arrays (node 0 is the head sentinel). */
interface EventList {
  next: Int32Array;
  prev: Int32Array;
  /** Node → op index in the partition; calls are odd nodes 2i+1, returns even nodes 2i+2. */
  opOf: (node: number) => number;
  isCall: (node: number) => boolean;
  returnOf: (callNode: number) => number;
}

function buildEventList<I, O>(ops: ReadonlyArray<Operation<I, O>>): EventList {
  const events: Array<{ node: number; time: number; seq: number | undefined; call: boolean }> = [];
  ops.forEach((op, i) => {
    assert(op.return === Infinity || op.call <= op.return, () => `op ${op.id} returns before its call`);
    events.push({ node: 2 * i + 1, time: op.call, seq: op.callSeq, call: true });
    events.push({ node: 2 * i + 2, time: op.return, seq: op.returnSeq, call: false });
  });
  // Calls before returns on equal times (Porcupine) unless sequence numbers order them.
  events.sort((a, b) => {
    if (eventBefore(a.time, a.seq, b.time, b.seq)) return -1;
    if (eventBefore(b.time, b.seq, a.time, a.seq)) return 1;
    if (a.call !== b.call) return a.call ? -1 : 1;
    return a.node - b.node;
  });
  const size = ops.length * 2 + 1;
  const next = new Int32Array(size).fill(-1);
  const prev = new Int32Array(size).fill(-1);
  let last = 0;
  for (const e of events) {
    next[last] = e.node;
    prev[e.node] = last;
    last = e.node;
  }
  return {
    next,
    prev,
    opOf: (node) => (node - 1) >> 1,
    isCall: (node) => node % 2 === 1,
    returnOf: (callNode) => callNode + 1,
  };
}

function lift(list: EventList, call: number): void {
  const { next, prev } = list;
  for (const node of [call, list.returnOf(call)]) {
    const p = prev[node] as number;
    const n = next[node] as number;
    next[p] = n;
    if (n !== -1) prev[n] = p;
  }
}

function unlift(list: EventList, call: number): void {
  const { next, prev } = list;
  for (const node of [list.returnOf(call), call]) {
    const p = prev[node] as number;
    const n = next[node] as number;
    next[p] = node;
    if (n !== -1) prev[n] = node;
  }
}

interface Frame<S> {
  call: number;
  before: S;
  choices: readonly S[];
  chosen: number;
  /** The candidate window this call was taken from, and its position there, for resuming. */
  window: Window;
  pos: number;
  /** The step left the state as it was: taking it first is never worse, so no alternatives. */
  pure: boolean;
}

/** Calls that may go next (those before the first return in the list), best first, and that return. */
interface Window {
  calls: number[];
  firstReturn: number;
}

/** Memo of explored (linearized set, state) configurations. */
class Visited {
  private readonly seen = new Map<string, Uint32Array[]>();

  /** Adds the configuration; false if it was already there. */
  add(bits: Uint32Array, stateKey: string): boolean {
    let h = 0x811c9dc5;
    for (const w of bits) h = Math.imul(h ^ w, 0x01000193) >>> 0;
    const key = `${h.toString(36)}|${stateKey}`;
    const bucket = this.seen.get(key);
    if (bucket === undefined) {
      this.seen.set(key, [bits.slice()]);
      return true;
    }
    if (bucket.some((b) => b.every((w, i) => w === bits[i]))) return false;
    bucket.push(bits.slice());
    return true;
  }
}

function checkPartition<I, O, S>(
  model: Model<I, O, S>,
  partition: string,
  ops: ReadonlyArray<Operation<I, O>>,
  limits: Required<Budget>,
): PartitionResult<I, O> {
  const started = performance.now();
  const list = buildEventList(ops);
  const priority = ops.map((op) => model.priority?.(op.input, op.status === 'ok' ? op.output : undefined) ?? 0);
  const bits = new Uint32Array(Math.ceil(ops.length / 32) + 1);
  const visited = new Visited();
  const frames: Array<Frame<S>> = [];
  let state = model.init();
  let steps = 0;
  let best: { prefix: number[]; state: S; blockedReturn: number } | undefined;
  const done = (result: CheckResult): PartitionResult<I, O> => ({
    partition,
    result,
    operations: ops.length,
    steps,
    millis: performance.now() - started,
    ...(result === 'illegal' ? { explanation: explain(ops, list, best) } : {}),
  });
  const toggle = (op: number): void => void (bits[op >> 5] = (bits[op >> 5] as number) ^ (1 << (op & 31)));
  const windowNow = (): Window => {
    const calls: number[] = [];
    let node = list.next[0] as number;
    while (list.isCall(node)) {
      calls.push(node);
      node = list.next[node] as number;
    }
    // Array.sort is stable: equal priorities keep list (call time) order.
    calls.sort((a, b) => (priority[list.opOf(a)] as number) - (priority[list.opOf(b)] as number));
    // Ops of unknown outcome (priority +∞) go right after the best candidate: when that one is
    // illegal, an unseen write taking effect is the likeliest reason (not a later op).
    const firstInfinite = calls.findIndex((c) => priority[list.opOf(c)] === Infinity);
    if (firstInfinite > 1) calls.splice(1, 0, ...calls.splice(firstInfinite));
    return { calls, firstReturn: node };
  };
  /** Tries choices[from..] of a call; on success the call is linearized and its frame pushed. */
  const tryChoices = (frame: Omit<Frame<S>, 'chosen'>, from: number): boolean => {
    const op = list.opOf(frame.call);
    toggle(op);
    for (let c = from; c < frame.choices.length; c++) {
      const choice = frame.choices[c] as S;
      if (visited.add(bits, model.stateKey(choice))) {
        frames.push({ ...frame, chosen: c });
        state = choice;
        return true;
      }
    }
    toggle(op);
    return false;
  };

  let window = windowNow();
  let pos = 0;
  while (list.next[0] !== -1) {
    if (++steps % 4096 === 0 || limits.maxMillis === 0) {
      // Reading the clock every step would dominate the search; every 4096 steps is plenty.
      if (steps > limits.maxSteps || performance.now() - started >= limits.maxMillis) return done('unknown');
    }
    const call = window.calls[pos];
    if (call !== undefined) {
      const op = ops[list.opOf(call)] as Operation<I, O>;
      const choices = model.step(state, op.input, op.status === 'ok' ? op.output : undefined);
      const pure = choices.length === 1 && model.stateKey(choices[0] as S) === model.stateKey(state);
      if (choices.length > 0 && tryChoices({ call, before: state, choices, window, pos, pure }, 0)) {
        lift(list, call);
        window = windowNow();
        pos = 0;
      } else {
        // A pure step into an explored configuration: this one is explored too (see below).
        pos = pure ? window.calls.length : pos + 1;
      }
      continue;
    }
    // No candidate fits: the op of the first return must go next but cannot. Backtrack.
    if (best === undefined || frames.length > best.prefix.length) {
      best = { prefix: frames.map((f) => list.opOf(f.call)), state, blockedReturn: window.firstReturn };
    }
    const top = frames.pop();
    if (top === undefined) return done('illegal');
    toggle(list.opOf(top.call));
    if (tryChoices(top, top.chosen + 1)) {
      window = windowNow();
      pos = 0;
    } else {
      state = top.before;
      unlift(list, top.call);
      window = top.window;
      // After a pure step failed, so does its configuration: any linearization from there can
      // move that step to the front (it was a candidate, changes nothing, and every op that
      // must precede it is already placed). Lowe's and Horn & Kroening's read-only reduction.
      pos = top.pure ? window.calls.length : top.pos + 1;
    }
  }
  return done('ok');

  function explain(
    all: ReadonlyArray<Operation<I, O>>,
    events: EventList,
    found: { prefix: number[]; state: S; blockedReturn: number } | undefined,
  ): IllegalExplanation<I, O> {
    assert(found !== undefined, 'illegal result without a recorded dead end');
    const blockedOp = events.opOf(found.blockedReturn);
    const placed = new Set(found.prefix);
    const blocked = all[blockedOp] as Operation<I, O>;
    const candidates = all.filter(
      (op, i) => !placed.has(i) && i !== blockedOp && !eventBefore(blocked.return, blocked.returnSeq, op.call, op.callSeq),
    );
    return {
      longestPrefix: found.prefix.map((i) => all[i] as Operation<I, O>),
      stateAfterPrefix: model.describeState?.(found.state) ?? model.stateKey(found.state),
      blocked,
      candidates,
    };
  }
}

/** A human-readable account of every non-ok partition, for test failure messages. */
export function describeReport<I, O, S>(model: Model<I, O, S>, report: LinearizabilityReport<I, O>, maxOps = 12): string {
  const show = (op: Operation<I, O>): string => {
    const what = model.describeOperation?.(op.input, op.output) ?? JSON.stringify({ input: op.input, output: op.output });
    const ret = op.return === Infinity ? '∞' : String(op.return);
    return `#${op.id} client ${op.client} ${what} [${op.call}, ${ret}]${op.status === 'ok' ? '' : ` (${op.status})`}`;
  };
  const lines = [`linearizability: ${report.result} (${report.partitions.length} partitions, ${report.dropped} ops dropped)`];
  for (const p of report.partitions) {
    if (p.result === 'ok') continue;
    lines.push(`partition ${JSON.stringify(p.partition)}: ${p.result} after ${p.steps} steps, ${p.millis.toFixed(0)} ms, ${p.operations} ops`);
    const e = p.explanation;
    if (e === undefined) continue;
    const prefix = e.longestPrefix;
    lines.push(`  longest linearizable prefix: ${prefix.length} ops${prefix.length > maxOps ? ` (last ${maxOps} shown)` : ''}`);
    for (const op of prefix.slice(-maxOps)) lines.push(`    ${show(op)}`);
    lines.push(`  state after it: ${e.stateAfterPrefix}`);
    lines.push(`  cannot place: ${show(e.blocked)}`);
    for (const op of e.candidates.slice(0, maxOps)) lines.push(`    nor its concurrent candidate ${show(op)}`);
  }
  return lines.join('\n');
}
