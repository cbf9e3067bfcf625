/**
 * A fluent transaction builder (etcd clientv3's `Txn().If().Then().Else().Commit()`):
 * `client.txnBuilder().if(compare.value('k', '=', 'v')).then(op.put('k', 'w')).commit()`.
 */
import type { Compare, CompareResult, RequestOp, TxnRequest, TxnResponse } from '../api/kv.js';
import { utf8 } from '../util/bytes.js';

type Bytes = Uint8Array | string;
const b = (x: Bytes): Uint8Array => (typeof x === 'string' ? utf8(x) : x);
type Op = '=' | '!=' | '<' | '>';
const RESULT: Record<Op, CompareResult> = { '=': 'EQUAL', '!=': 'NOT_EQUAL', '<': 'LESS', '>': 'GREATER' };

export const compare = {
  value: (key: Bytes, op: Op, value: Bytes): Compare => ({ key: b(key), target: 'VALUE', result: RESULT[op], value: b(value) }),
  version: (key: Bytes, op: Op, version: number): Compare => ({ key: b(key), target: 'VERSION', result: RESULT[op], version }),
  createRevision: (key: Bytes, op: Op, createRevision: number): Compare => ({ key: b(key), target: 'CREATE', result: RESULT[op], createRevision }),
  modRevision: (key: Bytes, op: Op, modRevision: number): Compare => ({ key: b(key), target: 'MOD', result: RESULT[op], modRevision }),
  lease: (key: Bytes, op: Op, lease: bigint): Compare => ({ key: b(key), target: 'LEASE', result: RESULT[op], lease }),
};

export const op = {
  get: (key: Bytes, rangeEnd?: Bytes): RequestOp => ({ type: 'range', request: { key: b(key), ...(rangeEnd !== undefined ? { rangeEnd: b(rangeEnd) } : {}) } }),
  put: (key: Bytes, value: Bytes, lease?: bigint): RequestOp => ({ type: 'put', request: { key: b(key), value: b(value), ...(lease !== undefined ? { lease } : {}) } }),
  delete: (key: Bytes, rangeEnd?: Bytes): RequestOp => ({ type: 'deleteRange', request: { key: b(key), ...(rangeEnd !== undefined ? { rangeEnd: b(rangeEnd) } : {}) } }),
};

export class TxnBuilder {
  private readonly compares: Compare[] = [];
  private readonly success: RequestOp[] = [];
  private readonly failure: RequestOp[] = [];

  constructor(private readonly run: (req: TxnRequest) => Promise<TxnResponse>) {}

  if(...compares: Compare[]): this {
    this.compares.push(...compares);
    return this;
  }
  then(...ops: RequestOp[]): this {
    this.success.push(...ops);
    return this;
  }
  else(...ops: RequestOp[]): this {
    this.failure.push(...ops);
    return this;
  }
  request(): TxnRequest {
    return { compare: this.compares, success: this.success, failure: this.failure };
  }
  commit(): Promise<TxnResponse> {
    return this.run(this.request());
  }
}
