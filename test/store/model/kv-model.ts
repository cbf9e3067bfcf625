/**
 * A deliberately naive reference model of etcd's KV semantics, the oracle for the store's property
 * tests. It keeps every change ever made in one list and answers each read by replaying that list,
 * so it shares no structure (no key index, no generations, no backend) with src/store.
 * Errors are reported as KvError codes so results compare one to one.
 */
import { KvError } from '../../../src/util/errors.js';
import type { KeyValue } from '../../../src/store/types.js';
import type {
  Compare, DeleteRangeRequest, DeleteRangeResponse, PutRequest, PutResponse, RangeRequest, RangeResponse,
  RequestOp, ResponseOp, TxnRequest, TxnResponse,
} from '../../../src/store/requests.js';

interface Change {
  readonly main: number;
  readonly key: string;
  /** undefined: a delete. */
  readonly kv: KeyValue | undefined;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const EMPTY = new Uint8Array(0);

function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Does `key` fall in the request's range (etcd's key / range_end rules)? */
export function inRange(key: Uint8Array, start: Uint8Array, end: Uint8Array | undefined): boolean {
  if (end === undefined || end.length === 0) return cmpBytes(key, start) === 0;
  if (end.length === 1 && end[0] === 0) return cmpBytes(key, start) >= 0;
  return cmpBytes(key, start) >= 0 && cmpBytes(key, end) < 0;
}

type State = Map<string, KeyValue>;

export class KvModel {
  readonly changes: Change[] = [];
  current = 1;
  compacted = 0;

  constructor(
    readonly leaseExists: (lease: number) => boolean,
    readonly maxTxnOps = 128,
  ) {}

  /** Live keys at `rev`, by replaying every change up to it. */
  stateAt(rev: number): State {
    const s: State = new Map();
    for (const c of this.changes) {
      if (c.main > rev) break;
      if (c.kv === undefined) s.delete(c.key);
      else s.set(c.key, c.kv);
    }
    return s;
  }

  range(r: RangeRequest): RangeResponse {
    checkKey(r.key);
    return this.rangeOn(r, this.current, this.stateAt.bind(this), this.current);
  }

  private rangeOn(r: RangeRequest, headerRev: number, at: (rev: number) => State, viewRev: number): RangeResponse {
    const req = r.revision ?? 0;
    if (req > viewRev) throw new KvError('FutureRev');
    const rev = req <= 0 ? viewRev : req;
    if (rev < this.compacted) throw new KvError('Compacted');
    const live = [...at(rev).values()].filter((kv) => inRange(kv.key, r.key, r.rangeEnd)).sort((a, b) => cmpBytes(a.key, b.key));
    const count = live.length;
    if (r.countOnly) return { revision: headerRev, kvs: [], more: false, count };
    let kvs = live.filter(
      (kv) =>
        (!r.minModRevision || kv.modRevision >= r.minModRevision) &&
        (!r.maxModRevision || kv.modRevision <= r.maxModRevision) &&
        (!r.minCreateRevision || kv.createRevision >= r.minCreateRevision) &&
        (!r.maxCreateRevision || kv.createRevision <= r.maxCreateRevision),
    );
    const target = r.sortTarget ?? 'KEY';
    let order = r.sortOrder ?? 'NONE';
    if (order === 'NONE' && target !== 'KEY') order = 'ASCEND';
    if (order !== 'NONE') {
      const field = (kv: KeyValue): number | Uint8Array =>
        target === 'KEY' ? kv.key : target === 'VALUE' ? kv.value : target === 'VERSION' ? kv.version : target === 'CREATE' ? kv.createRevision : kv.modRevision;
      const cmp = (a: KeyValue, b: KeyValue): number => {
        const x = field(a);
        const y = field(b);
        return typeof x === 'number' ? x - (y as number) : cmpBytes(x, y as Uint8Array);
      };
      kvs = [...kvs].sort((a, b) => (order === 'DESCEND' ? cmp(b, a) : cmp(a, b)));
    }
    let more = false;
    const limit = r.limit ?? 0;
    if (limit > 0 && kvs.length > limit) {
      kvs = kvs.slice(0, limit);
      more = true;
    }
    if (r.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY }));
    return { revision: headerRev, kvs, more, count };
  }

  put(r: PutRequest): PutResponse {
    checkPutShape(r);
    if ((r.lease ?? 0) !== 0 && !this.leaseExists(r.lease ?? 0)) throw new KvError('LeaseNotFound');
    const w = this.begin();
    const resp = w.put(r);
    this.commit(w);
    return resp;
  }

  deleteRange(r: DeleteRangeRequest): DeleteRangeResponse {
    checkKey(r.key);
    const w = this.begin();
    const resp = w.deleteRange(r);
    this.commit(w);
    return resp;
  }

  txn(r: TxnRequest): TxnResponse {
    checkTxnShape(r, this.maxTxnOps);
    noDuplicates(r.success ?? []);
    noDuplicates(r.failure ?? []);
    const before = this.stateAt(this.current);
    const path = (t: TxnRequest): boolean[] => {
      const ok = (t.compare ?? []).every((c) => compareHolds(before, c));
      const out = [ok];
      for (const op of (ok ? t.success : t.failure) ?? []) if (op.type === 'txn') out.push(...path(op.request));
      return out;
    };
    const choices = path(r);
    // Checks before any write, on the chosen path only.
    const check = (t: TxnRequest, ch: boolean[]): void => {
      const ok = ch.shift() as boolean;
      for (const op of (ok ? t.success : t.failure) ?? []) {
        if (op.type === 'put') {
          if ((op.request.ignoreValue || op.request.ignoreLease) && !before.has(hex(op.request.key))) throw new KvError('KeyNotFound');
          if ((op.request.lease ?? 0) !== 0 && !this.leaseExists(op.request.lease ?? 0)) throw new KvError('LeaseNotFound');
        } else if (op.type === 'range') {
          const rev = op.request.revision ?? 0;
          if (rev > this.current) throw new KvError('FutureRev');
          if (rev > 0 && rev < this.compacted) throw new KvError('Compacted');
        } else if (op.type === 'txn') {
          check(op.request, ch);
        }
      }
    };
    check(r, [...choices]);
    const w = this.begin();
    const ch = [...choices];
    const run = (t: TxnRequest, nested: boolean): TxnResponse => {
      const ok = ch.shift() as boolean;
      const responses: ResponseOp[] = [];
      for (const op of (ok ? t.success : t.failure) ?? []) responses.push(w.apply(op, run));
      return { revision: nested ? 0 : w.rev(), succeeded: ok, responses };
    };
    const resp = run(r, false);
    this.commit(w);
    return resp;
  }

  compact(rev: number): void {
    if (rev <= this.compacted) throw new KvError('Compacted');
    if (rev > this.current) throw new KvError('FutureRev');
    this.compacted = rev;
  }

  private begin(): ModelTxn {
    return new ModelTxn(this, this.current, this.stateAt(this.current), (r, h, at, v) => this.rangeOn(r, h, at, v));
  }

  private commit(w: ModelTxn): void {
    if (w.changes.length === 0) return;
    this.changes.push(...w.changes);
    this.current++;
  }
}

type RangeFn = (r: RangeRequest, headerRev: number, at: (rev: number) => State, viewRev: number) => RangeResponse;

class ModelTxn {
  readonly changes: Change[] = [];

  constructor(
    private readonly model: KvModel,
    private readonly begin: number,
    private readonly state: State,
    private readonly rangeOn: RangeFn,
  ) {}

  rev(): number {
    return this.changes.length > 0 ? this.begin + 1 : this.begin;
  }

  apply(op: RequestOp, run: (t: TxnRequest, nested: boolean) => TxnResponse): ResponseOp {
    switch (op.type) {
      case 'range': {
        const v = this.rev();
        const at = (rev: number): State => (rev === v ? this.state : this.model.stateAt(rev));
        return { type: 'range', response: this.rangeOn(op.request, v, at, v) };
      }
      case 'put': return { type: 'put', response: this.put(op.request) };
      case 'deleteRange': return { type: 'deleteRange', response: this.deleteRange(op.request) };
      case 'txn': return { type: 'txn', response: run(op.request, true) };
    }
  }

  put(r: PutRequest): PutResponse {
    const k = hex(r.key);
    const prev = this.state.get(k);
    if ((r.ignoreValue || r.ignoreLease) && prev === undefined) throw new KvError('KeyNotFound');
    const main = this.begin + 1;
    const kv: KeyValue = {
      key: r.key,
      createRevision: prev?.createRevision ?? main,
      modRevision: main,
      version: (prev?.version ?? 0) + 1,
      value: r.ignoreValue ? (prev as KeyValue).value : (r.value ?? EMPTY),
      lease: r.ignoreLease ? (prev as KeyValue).lease : (r.lease ?? 0),
    };
    this.state.set(k, kv);
    this.changes.push({ main, key: k, kv });
    return r.prevKv && prev !== undefined ? { revision: main, prevKv: prev } : { revision: main };
  }

  deleteRange(r: DeleteRangeRequest): DeleteRangeResponse {
    const doomed = [...this.state.values()].filter((kv) => inRange(kv.key, r.key, r.rangeEnd)).sort((a, b) => cmpBytes(a.key, b.key));
    for (const kv of doomed) {
      const k = hex(kv.key);
      this.state.delete(k);
      this.changes.push({ main: this.begin + 1, key: k, kv: undefined });
    }
    return { revision: this.rev(), deleted: doomed.length, prevKvs: r.prevKv ? doomed : [] };
  }
}

function compareHolds(state: State, c: Compare): boolean {
  const kvs = [...state.values()].filter((kv) => inRange(kv.key, c.key, c.rangeEnd));
  const target = c.target ?? 'VERSION';
  if (kvs.length === 0) {
    if (target === 'VALUE') return false;
    kvs.push({ key: c.key, createRevision: 0, modRevision: 0, version: 0, value: EMPTY, lease: 0 });
  }
  return kvs.every((kv) => {
    const d =
      target === 'VALUE' ? cmpBytes(kv.value, c.value ?? EMPTY)
      : target === 'CREATE' ? kv.createRevision - (c.createRevision ?? 0)
      : target === 'MOD' ? kv.modRevision - (c.modRevision ?? 0)
      : target === 'LEASE' ? kv.lease - (c.lease ?? 0)
      : kv.version - (c.version ?? 0);
    const res = c.result ?? 'EQUAL';
    return res === 'EQUAL' ? d === 0 : res === 'NOT_EQUAL' ? d !== 0 : res === 'GREATER' ? d > 0 : d < 0;
  });
}

function checkKey(key: Uint8Array): void {
  if (key.length === 0) throw new KvError('EmptyKey');
}

function checkPutShape(r: PutRequest): void {
  checkKey(r.key);
  if (r.ignoreValue && (r.value?.length ?? 0) > 0) throw new KvError('ValueProvided');
  if (r.ignoreLease && (r.lease ?? 0) !== 0) throw new KvError('LeaseProvided');
}

function checkTxnShape(r: TxnRequest, budget: number): void {
  const n = Math.max(r.compare?.length ?? 0, r.success?.length ?? 0, r.failure?.length ?? 0);
  if (n > budget) throw new KvError('TooManyOps');
  for (const c of r.compare ?? []) checkKey(c.key);
  for (const op of [...(r.success ?? []), ...(r.failure ?? [])]) {
    if (op.type === 'txn') checkTxnShape(op.request, budget - n);
    else if (op.type === 'put') checkPutShape(op.request);
    else checkKey(op.request.key);
  }
}

/**
 * The duplicate rule, stated directly: in one branch (through nested txns) a key is put at most
 * once and never both put and deleted, except that a nested txn's success and failure exclude
 * each other. Puts are gathered as sets per alternative; deletes as ranges.
 */
interface Writes { puts: Uint8Array[][]; dels: Array<[Uint8Array, Uint8Array | undefined]> }

function noDuplicates(ops: readonly RequestOp[]): Writes {
  const dels: Array<[Uint8Array, Uint8Array | undefined]> = [];
  for (const op of ops) if (op.type === 'deleteRange') dels.push([op.request.key, op.request.rangeEnd]);
  const seen = new Map<string, 'put'>();
  const covered = (k: Uint8Array): boolean => dels.some(([s, e]) => inRange(k, s, e));
  const nestedPuts: Uint8Array[] = [];
  for (const op of ops) {
    if (op.type !== 'txn') continue;
    const a = noDuplicates(op.request.success ?? []);
    const b = noDuplicates(op.request.failure ?? []);
    const aKeys = new Set(a.puts.flat().map(hex));
    for (const k of a.puts.flat()) {
      if (seen.has(hex(k)) || covered(k)) throw new KvError('DuplicateKey');
      seen.set(hex(k), 'put');
      nestedPuts.push(k);
    }
    for (const k of b.puts.flat()) {
      if ((seen.has(hex(k)) && !aKeys.has(hex(k))) || covered(k)) throw new KvError('DuplicateKey');
      seen.set(hex(k), 'put');
      nestedPuts.push(k);
    }
    dels.push(...a.dels, ...b.dels);
  }
  const own: Uint8Array[] = [];
  for (const op of ops) {
    if (op.type !== 'put') continue;
    const k = op.request.key;
    if (seen.has(hex(k)) || covered(k)) throw new KvError('DuplicateKey');
    seen.set(hex(k), 'put');
    own.push(k);
  }
  return { puts: [nestedPuts, own], dels };
}
