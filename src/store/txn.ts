/**
 * Txn (etcd's applierV3backend.Txn): every compare, nested ones included, is evaluated up front
 * against the state before the txn (compareToPath); the chosen branch's puts and ranges are checked
 * (leases exist, ignore_* keys exist, revisions readable) before anything is applied; then the ops
 * run in order on one WriteTxn, so later ops see earlier writes and all share one revision.
 */
import { KvError } from '../util/errors.js';
import { assertNever } from '../util/assert.js';
import { compareBytes } from '../util/bytes.js';
import { executeRange, readRevision, type ReadView } from './range.js';
import { kvFieldSize, rangeResponseSize, ResponseTooLargeError } from './range-size.js';
import { spanOf } from './tree-index.js';
import type { WriteTxn } from './kv-txn.js';
import type { KeyValue, LeaseHooks } from './types.js';
import type { Compare, DeleteRangeRequest, DeleteRangeResponse, RangeRequest, RangeResponse, RequestOp, ResponseOp, TxnRequest, TxnResponse } from './requests.js';

/** Which branch each txn takes: this level's result, then one Path per nested txn in the branch. */
export interface TxnPath {
  readonly succeeded: boolean;
  readonly nested: readonly TxnPath[];
}

const ZERO_KV: KeyValue = { key: new Uint8Array(0), createRevision: 0, modRevision: 0, version: 0, value: new Uint8Array(0), lease: 0 };

function compareKv(c: Compare, kv: KeyValue): boolean {
  let result: number;
  const target = c.target ?? 'VERSION';
  switch (target) {
    case 'VALUE': result = compareBytes(kv.value, c.value ?? ZERO_KV.value); break;
    case 'CREATE': result = kv.createRevision - (c.createRevision ?? 0); break;
    case 'MOD': result = kv.modRevision - (c.modRevision ?? 0); break;
    case 'VERSION': result = kv.version - (c.version ?? 0); break;
    case 'LEASE': result = kv.lease - (c.lease ?? 0); break;
    default: return assertNever(target, 'compare target');
  }
  const op = c.result ?? 'EQUAL';
  switch (op) {
    case 'EQUAL': return result === 0;
    case 'NOT_EQUAL': return result !== 0;
    case 'GREATER': return result > 0;
    case 'LESS': return result < 0;
    default: return assertNever(op, 'compare result');
  }
}

/** etcd's applyCompare: must hold for every key in range; a missing key compares as zero, except VALUE, which fails. */
async function applyCompare(view: ReadView, c: Compare): Promise<boolean> {
  const { entries } = view.index.range(spanOf(c.key, c.rangeEnd), view.rev);
  if (entries.length === 0) return (c.target ?? 'VERSION') !== 'VALUE' && compareKv(c, ZERO_KV);
  const needValues = c.target === 'VALUE' || c.target === 'LEASE';
  if (!needValues) {
    return entries.every((e) =>
      compareKv(c, { ...ZERO_KV, createRevision: e.created.main, modRevision: e.modified.main, version: e.version }),
    );
  }
  const kvs = await view.fetch(entries);
  return kvs.every((kv) => compareKv(c, kv));
}

export async function txnPath(view: ReadView, r: TxnRequest): Promise<TxnPath> {
  let succeeded = true;
  for (const c of r.compare ?? []) {
    if (!(await applyCompare(view, c))) {
      succeeded = false;
      break;
    }
  }
  const nested: TxnPath[] = [];
  for (const op of branch(r, succeeded)) if (op.type === 'txn') nested.push(await txnPath(view, op.request));
  return { succeeded, nested };
}

function branch(r: TxnRequest, succeeded: boolean): readonly RequestOp[] {
  return (succeeded ? r.success : r.failure) ?? [];
}

/** etcd's checkRequests over the chosen path: errors here abort the txn before any write. */
export async function checkPath(
  view: ReadView,
  r: TxnRequest,
  path: TxnPath,
  leases: LeaseHooks | undefined,
): Promise<void> {
  let nested = 0;
  for (const op of branch(r, path.succeeded)) {
    switch (op.type) {
      case 'range':
        readRevision(op.request.revision, view.rev, view.compactedRevision());
        break;
      case 'put': {
        const p = op.request;
        if (p.ignoreValue || p.ignoreLease) {
          if (view.index.range(spanOf(p.key, undefined), view.rev, 0).total === 0) throw new KvError('KeyNotFound');
        }
        checkLease(p.lease ?? 0, leases);
        break;
      }
      case 'deleteRange':
        break;
      case 'txn':
        await checkPath(view, op.request, path.nested[nested++] as TxnPath, leases);
        break;
      default:
        assertNever(op, 'request op');
    }
  }
}

export function checkLease(lease: number, leases: LeaseHooks | undefined): void {
  if (lease !== 0 && (leases === undefined || !leases.exists(lease))) throw new KvError('LeaseNotFound');
}

/**
 * The bound on what one txn's ranges return, nested levels included (--max-response-bytes; issue
 * 15: they were unbounded). Exceeding it never fails the apply: a range has no effect on state,
 * so it and the ranges after it come back empty, the writes go on, and `exceeded` says how big
 * the response got. Every member applies a write txn, each with its own bound, and the writes
 * are the same whatever the bound: only the answer differs (see docs/architecture.md).
 */
export class TxnResponseBound {
  private used = 0;
  /** The size the ranges reached once they went past the limit. */
  exceeded: number | undefined;

  constructor(readonly maxBytes: number) {}

  async range(view: ReadView, r: RangeRequest): Promise<RangeResponse> {
    if (this.exceeded === undefined) {
      try {
        const res = await executeRange(view, r, { maxResponseBytes: this.maxBytes - this.used });
        let kvsBytes = 0;
        for (const kv of res.kvs) kvsBytes += kvFieldSize(kv, r.keysOnly ?? false);
        this.used += rangeResponseSize(kvsBytes, res.count, res.more);
        return res;
      } catch (err) {
        if (!(err instanceof ResponseTooLargeError)) throw err;
        this.exceeded = this.used + err.size;
      }
    }
    return { revision: view.rev, kvs: [], more: false, count: 0 };
  }

  /** A delete inside the txn: its prev_kv answer counts toward the same bound. */
  async deleteRange(txn: WriteTxn, r: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    const res = await txn.deleteRange(r, this.exceeded === undefined ? this.maxBytes - this.used : 0);
    if (res.tooLarge !== undefined) {
      this.exceeded ??= this.used + res.tooLarge;
      return { revision: res.revision, deleted: res.deleted, prevKvs: [] };
    }
    for (const kv of res.prevKvs) this.used += kvFieldSize(kv, false);
    return res;
  }
}

/** Runs the chosen ops in order (etcd's applyTxn). Nested responses carry revision 0 (empty header). */
export async function applyTxn(txn: WriteTxn, r: TxnRequest, path: TxnPath, bound: TxnResponseBound, nestedLevel = false): Promise<TxnResponse> {
  const responses: ResponseOp[] = [];
  let nested = 0;
  for (const op of branch(r, path.succeeded)) {
    switch (op.type) {
      case 'range':
        responses.push({ type: 'range', response: await bound.range(txn, op.request) });
        break;
      case 'put':
        responses.push({ type: 'put', response: await txn.put(op.request) });
        break;
      case 'deleteRange':
        responses.push({ type: 'deleteRange', response: await bound.deleteRange(txn, op.request) });
        break;
      case 'txn':
        responses.push({ type: 'txn', response: await applyTxn(txn, op.request, path.nested[nested++] as TxnPath, bound, true) });
        break;
      default:
        assertNever(op, 'request op');
    }
  }
  if (nestedLevel) return { revision: 0, succeeded: path.succeeded, responses };
  const tooLarge = bound.exceeded;
  return { revision: txn.rev, succeeded: path.succeeded, responses, ...(tooLarge === undefined ? {} : { tooLarge }) };
}
