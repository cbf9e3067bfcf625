/**
 * Request checks done before anything is applied (etcd's v3rpc checkRangeRequest,
 * checkPutRequest, checkTxnRequest and checkIntervals). A failed check throws a KvError and
 * consumes no revision. Requests may come from decoded JSON, so shapes are checked at run time.
 */
import { KvError } from '../util/errors.js';
import { spanContains, spanOf, indexKey, type KeySpan } from './tree-index.js';
import type { Compare, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from './requests.js';

const SORT_ORDERS = new Set(['NONE', 'ASCEND', 'DESCEND']);
const SORT_TARGETS = new Set(['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE']);
const COMPARE_RESULTS = new Set(['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL']);
const COMPARE_TARGETS = new Set(['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE']);

function invalid(what: string): never {
  throw new KvError('InvalidArgument', `cairn: invalid ${what}`);
}

function checkKey(key: unknown): void {
  if (!(key instanceof Uint8Array)) invalid('key: not bytes');
  if (key.length === 0) throw new KvError('EmptyKey');
}

function checkBytes(b: unknown, what: string): void {
  if (b !== undefined && !(b instanceof Uint8Array)) invalid(`${what}: not bytes`);
}

function checkInt(n: unknown, what: string): void {
  if (n !== undefined && (typeof n !== 'number' || !Number.isSafeInteger(n))) invalid(`${what}: not a safe integer`);
}

function checkEnum(v: unknown, allowed: Set<string>, what: string): void {
  if (v !== undefined && (typeof v !== 'string' || !allowed.has(v))) invalid(`${what}: ${String(v)}`);
}

export function checkRange(r: RangeRequest): void {
  checkKey(r.key);
  checkBytes(r.rangeEnd, 'range_end');
  for (const f of ['limit', 'revision', 'minModRevision', 'maxModRevision', 'minCreateRevision', 'maxCreateRevision'] as const) {
    checkInt(r[f], f);
  }
  checkEnum(r.sortOrder, SORT_ORDERS, 'sort_order');
  checkEnum(r.sortTarget, SORT_TARGETS, 'sort_target');
}

export function checkPut(r: PutRequest): void {
  checkKey(r.key);
  checkBytes(r.value, 'value');
  checkInt(r.lease, 'lease');
  if (r.ignoreValue && r.value !== undefined && r.value.length !== 0) throw new KvError('ValueProvided');
  if (r.ignoreLease && r.lease !== undefined && r.lease !== 0) throw new KvError('LeaseProvided');
}

export function checkDeleteRange(r: DeleteRangeRequest): void {
  checkKey(r.key);
  checkBytes(r.rangeEnd, 'range_end');
}

function checkCompare(c: Compare): void {
  checkKey(c.key);
  checkBytes(c.rangeEnd, 'compare range_end');
  checkEnum(c.result, COMPARE_RESULTS, 'compare result');
  checkEnum(c.target, COMPARE_TARGETS, 'compare target');
  for (const f of ['version', 'createRevision', 'modRevision', 'lease'] as const) checkInt(c[f], `compare ${f}`);
  checkBytes(c.value, 'compare value');
}

function checkOp(op: RequestOp, maxTxnOps: number): void {
  // An op with no request in it is etcd's "key not found" (v3rpc checkRequestOp's default case).
  if (op === null || typeof op !== 'object' || op.request === null || typeof op.request !== 'object') {
    throw new KvError('KeyNotFound');
  }
  switch (op.type) {
    case 'range': return checkRange(op.request);
    case 'put': return checkPut(op.request);
    case 'deleteRange': return checkDeleteRange(op.request);
    case 'txn': return checkTxnOps(op.request, maxTxnOps);
    default: throw new KvError('KeyNotFound');
  }
}

function checkTxnOps(r: TxnRequest, maxTxnOps: number): void {
  const compare = r.compare ?? [];
  const success = r.success ?? [];
  const failure = r.failure ?? [];
  if (!Array.isArray(compare) || !Array.isArray(success) || !Array.isArray(failure)) invalid('txn: not a list');
  // etcd: the widest of the three lists counts; nested txns get what is left of the budget.
  const opc = Math.max(compare.length, success.length, failure.length);
  if (opc > maxTxnOps) throw new KvError('TooManyOps');
  for (const c of compare) checkCompare(c);
  for (const op of success) checkOp(op, maxTxnOps - opc);
  for (const op of failure) checkOp(op, maxTxnOps - opc);
}

export function checkTxn(r: TxnRequest, maxTxnOps: number): void {
  checkTxnOps(r, maxTxnOps);
  checkIntervals(r.success ?? []);
  checkIntervals(r.failure ?? []);
}

interface Writes {
  puts: Set<string>;
  dels: KeySpan[];
}

function deleted(dels: readonly KeySpan[], key: string): boolean {
  return dels.some((d) => spanContains(d, key));
}

/**
 * etcd's checkIntervals: within one branch, recursively through nested txns, a key may be put at
 * most once and may not be both put and deleted. The success and failure branches of one nested
 * txn exclude each other, so they may put the same key.
 */
function checkIntervals(ops: readonly RequestOp[]): Writes {
  const dels: KeySpan[] = [];
  for (const op of ops) if (op.type === 'deleteRange') dels.push(spanOf(op.request.key, op.request.rangeEnd));
  const puts = new Set<string>();
  for (const op of ops) {
    if (op.type !== 'txn') continue;
    const then = checkIntervals(op.request.success ?? []);
    const otherwise = checkIntervals(op.request.failure ?? []);
    for (const k of then.puts) {
      if (puts.has(k) || deleted(dels, k)) throw new KvError('DuplicateKey');
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      if (puts.has(k) && !then.puts.has(k)) throw new KvError('DuplicateKey');
      if (deleted(dels, k)) throw new KvError('DuplicateKey');
      puts.add(k);
    }
    dels.push(...then.dels, ...otherwise.dels);
  }
  for (const op of ops) {
    if (op.type !== 'put') continue;
    const k = indexKey(op.request.key);
    if (puts.has(k) || deleted(dels, k)) throw new KvError('DuplicateKey');
    puts.add(k);
  }
  return { puts, dels };
}
