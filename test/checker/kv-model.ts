/**
 * etcd's key-value semantics per key, as clients see them, for the linearizability checker.
 *
 * Keys and values are strings (clients write unique values, as etcd robustness does, so every
 * read can be attributed to one write; convert bytes with `fromUtf8`). Revision fields in
 * outputs are optional: when present they are checked, when absent only values are.
 *
 * Revisions are global in etcd while the search is per key (P-compositionality). The per-key
 * model therefore only checks what any global linearization implies for the key's own ops:
 *  - the store revision never decreases along the linearization, and a write's revision is
 *    greater than every revision observed before it (`floor` in the state);
 *  - a get's modRevision is the revision of the write it reads, and its header revision ≥ it;
 *  - put/delete/cas outcomes follow etcd (delete of a missing key deletes 0 and does not bump
 *    the revision; a VALUE compare on a missing key is false; MOD == 0 means absent).
 * What spans keys is checked by `revision-checks.ts`: unique write revisions, real-time
 * monotonicity of revisions, and modRevisions that belong to writes of the same key.
 */
import { AssertionError, assertNever } from '../../src/util/assert.js';
import type { Model } from './linearizability.js';

export type CasExpectation = { readonly modRevision: number } | { readonly value: string };

export type KvInput =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'delete'; readonly key: string }
  | { readonly op: 'cas'; readonly key: string; readonly expect: CasExpectation; readonly value: string }
  /** A list: every key in [key, rangeEnd) ('\0' = to the end). Expanded before the search (range-reads.ts). */
  | { readonly op: 'range'; readonly key: string; readonly rangeEnd: string };

export interface RangeEntry {
  readonly key: string;
  readonly value: string;
  readonly modRevision?: number;
}

/**
 * `revision` is the response header's revision (etcd: the store revision after the request).
 * `revisionBelow` is inferred, never recorded: the write's revision is known only to be below it
 * (patch-history.ts sets it when a later write at that revision saw this write's value).
 */
export type KvOutput =
  | { readonly op: 'get'; readonly value?: string; readonly modRevision?: number; readonly revision?: number }
  | { readonly op: 'put'; readonly revision?: number; readonly revisionBelow?: number }
  | { readonly op: 'delete'; readonly deleted: number; readonly revision?: number }
  | { readonly op: 'cas'; readonly succeeded: boolean; readonly revision?: number; readonly revisionBelow?: number }
  | { readonly op: 'range'; readonly kvs: readonly RangeEntry[]; readonly revision?: number };

export interface KeyState {
  readonly value: string | undefined;
  /** 0 while absent; null after a write whose revision is unknown (bound by the next read). */
  readonly modRevision: number | null;
  /** Highest store revision observed so far along the linearization. */
  readonly floor: number;
}

const ABSENT: KeyState = { value: undefined, modRevision: 0, floor: 0 };

function revisionOk(rev: number | undefined, floor: number, write: boolean, below?: number): boolean {
  // A write with an unknown revision r below `below` needs room for floor < r < below.
  if (rev === undefined) return below === undefined || floor < below - 1;
  return write ? rev > floor : rev >= floor;
}

function afterWrite(value: string | undefined, rev: number | undefined, floor: number): KeyState {
  if (value === undefined) return { value, modRevision: 0, floor: rev ?? floor };
  return { value, modRevision: rev ?? null, floor: rev ?? floor };
}

/** true / false, or undefined when the state does not know the modRevision. */
function casCondition(s: KeyState, expect: CasExpectation): boolean | undefined {
  if ('value' in expect) return s.value !== undefined && s.value === expect.value;
  if (s.modRevision === null) return undefined;
  return s.modRevision === expect.modRevision;
}

function rangeNotExpanded(): never {
  throw new AssertionError('range reads span keys: expand them with expandRangeReads before a per-key check');
}

function stepGet(s: KeyState, out: Extract<KvOutput, { op: 'get' }>): KeyState[] {
  if (out.value !== s.value) return [];
  let mod = s.modRevision;
  if (out.modRevision !== undefined) {
    if (mod === null) mod = out.modRevision;
    else if (mod !== out.modRevision) return [];
  }
  if (out.revision !== undefined && (out.revision < s.floor || out.revision < (mod ?? 0))) return [];
  return [{ value: s.value, modRevision: mod, floor: Math.max(s.floor, out.revision ?? 0) }];
}

function stepKnown(s: KeyState, input: KvInput, out: KvOutput): KeyState[] {
  if (out.op !== input.op) return [];
  switch (out.op) {
    case 'get':
      return stepGet(s, out);
    case 'range':
      return rangeNotExpanded();
    case 'put':
      if (input.op !== 'put' || !revisionOk(out.revision, s.floor, true, out.revisionBelow)) return [];
      return [afterWrite(input.value, out.revision, s.floor)];
    case 'delete': {
      const exists = s.value !== undefined;
      if (out.deleted !== (exists ? 1 : 0) || !revisionOk(out.revision, s.floor, exists)) return [];
      return exists ? [afterWrite(undefined, out.revision, s.floor)] : [{ ...s, floor: Math.max(s.floor, out.revision ?? 0) }];
    }
    case 'cas': {
      if (input.op !== 'cas' || casCondition(s, input.expect) === !out.succeeded) return [];
      if (!revisionOk(out.revision, s.floor, out.succeeded, out.succeeded ? out.revisionBelow : undefined)) return [];
      if (out.succeeded) return [afterWrite(input.value, out.revision, s.floor)];
      return [{ ...s, floor: Math.max(s.floor, out.revision ?? 0) }];
    }
    default:
      return assertNever(out, 'kv output');
  }
}

/**
 * Unknown outcome: the op takes effect where it is linearized. "Never took effect" needs no
 * branch of its own: its return is +∞, so it can always be placed last, which is the same.
 */
function stepUnknown(s: KeyState, input: KvInput): KeyState[] {
  switch (input.op) {
    case 'get':
      return [s];
    case 'range':
      return rangeNotExpanded();
    case 'put':
      return [afterWrite(input.value, undefined, s.floor)];
    case 'delete':
      return s.value === undefined ? [s] : [afterWrite(undefined, undefined, s.floor)];
    case 'cas': {
      // Undecidable condition (modRevision unknown): applying is the only choice needing a state.
      return casCondition(s, input.expect) === false ? [s] : [afterWrite(input.value, undefined, s.floor)];
    }
    default:
      return assertNever(input, 'kv input');
  }
}

export function describeKvOperation(input: KvInput, output: KvOutput | undefined): string {
  const rev = (r: number | undefined): string => (r === undefined ? '' : ` @${r}`);
  const call = ((): string => {
    switch (input.op) {
      case 'get':
      case 'delete':
        return `${input.op}(${input.key})`;
      case 'range':
        return `range(${input.key}, ${JSON.stringify(input.rangeEnd)})`;
      case 'put':
        return `put(${input.key}, ${JSON.stringify(input.value)})`;
      case 'cas': {
        const e = 'value' in input.expect ? `value=${JSON.stringify(input.expect.value)}` : `mod=${input.expect.modRevision}`;
        return `cas(${input.key}, ${e} → ${JSON.stringify(input.value)})`;
      }
      default:
        return assertNever(input, 'kv input');
    }
  })();
  if (output === undefined) return `${call} → ?`;
  switch (output.op) {
    case 'get': {
      const v = output.value === undefined ? 'absent' : JSON.stringify(output.value);
      return `${call} → ${v}${output.modRevision === undefined ? '' : ` mod ${output.modRevision}`}${rev(output.revision)}`;
    }
    case 'range': {
      const kvs = output.kvs.map((kv) => `${kv.key}=${JSON.stringify(kv.value)}${kv.modRevision === undefined ? '' : ` mod ${kv.modRevision}`}`);
      return `${call} → [${kvs.join(', ')}]${rev(output.revision)}`;
    }
    case 'put':
      return `${call} → ok${rev(output.revision)}`;
    case 'delete':
      return `${call} → deleted ${output.deleted}${rev(output.revision)}`;
    case 'cas':
      return `${call} → ${output.succeeded ? 'succeeded' : 'failed'}${rev(output.revision)}`;
    default:
      return assertNever(output, 'kv output');
  }
}

export function describeKeyState(s: KeyState): string {
  const v = s.value === undefined ? 'absent' : `${JSON.stringify(s.value)} mod ${s.modRevision ?? '?'}`;
  return `${v}, revision ≥ ${s.floor}`;
}

/**
 * Try ops in the order of the revision they observed — writes of revision R before reads at R —
 * and ops without a revision (unknown outcomes) when the best candidate fails: along any
 * linearization revisions only grow, so the search rarely has to back out of a choice.
 */
function kvSearchPriority(_input: KvInput, output: KvOutput | undefined): number {
  if (output === undefined) return Infinity;
  if (output.revision === undefined) {
    const below = output.op === 'put' || output.op === 'cas' ? output.revisionBelow : undefined;
    return below === undefined ? Infinity : below * 2 - 1; // just before the write that saw it
  }
  const mutation = output.op === 'put' || (output.op === 'delete' && output.deleted > 0) || (output.op === 'cas' && output.succeeded);
  return output.revision * 2 + (mutation ? 0 : 1);
}

/** The per-key KV model; every key starts absent (an empty store, as etcd robustness assumes). */
export const kvModel: Model<KvInput, KvOutput, KeyState> = {
  init: () => ABSENT,
  step: (s, input, output) => (output === undefined ? stepUnknown(s, input) : stepKnown(s, input, output)),
  stateKey: (s) => `${s.value === undefined ? '-' : `=${s.value}`}\u0000${s.modRevision ?? '?'}\u0000${s.floor}`,
  partition: (input) => input.key,
  isReadOnly: (input) => input.op === 'get' || input.op === 'range',
  priority: kvSearchPriority,
  describeOperation: describeKvOperation,
  describeState: describeKeyState,
};
