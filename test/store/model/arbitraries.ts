/** fast-check generators of KV requests over a small key space, so ops collide often. */
import fc from 'fast-check';
import { prefixRangeEnd, utf8 } from '../../../src/util/bytes.js';
import type { Compare, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../../../src/store/requests.js';

const KEYS = ['a', 'b', 'c', 'a/1', 'a/2', 'ab', 'b/x'].map(utf8).concat([new Uint8Array([0]), new Uint8Array([0xff]), new Uint8Array([0x61, 0xff])]);

export const key = fc.constantFrom(...KEYS);
const value = fc.constantFrom(...['', 'x', 'y', 'zz', 'a'].map(utf8));
/** Leases 1 and 2 exist in the tests' lessor; 9 does not. */
const lease = fc.constantFrom(0, 0, 0, 1, 2, 9);
const rev = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -1, max: 12 }) }, { weight: 1, arbitrary: fc.integer({ min: -1, max: 40 }) });
const smallRev = fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 15 }) });

export const span = fc.tuple(key, fc.constantFrom<'single' | 'zero' | 'prefix' | 'key'>('single', 'zero', 'zero', 'prefix', 'key'), key).map(
  ([k, mode, other]): { key: Uint8Array; rangeEnd?: Uint8Array } => {
    switch (mode) {
      case 'single': return { key: k };
      case 'zero': return { key: k, rangeEnd: new Uint8Array([0]) };
      case 'prefix': return { key: k, rangeEnd: prefixRangeEnd(k) };
      case 'key': return { key: k, rangeEnd: other };
    }
  },
);

export const putReq: fc.Arbitrary<PutRequest> = fc
  .record({ key, value, lease, prevKv: fc.boolean(), ignore: fc.constantFrom('none', 'none', 'none', 'none', 'none', 'none', 'value', 'lease') })
  .map(({ key, value, lease, prevKv, ignore }) => {
    if (ignore === 'value') return { key, value: value.length > 2 ? value : undefined, lease, prevKv, ignoreValue: true };
    if (ignore === 'lease') return { key, value, lease: lease === 9 ? 9 : 0, prevKv, ignoreLease: true };
    return { key, value, lease, prevKv };
  });

export const deleteReq: fc.Arbitrary<DeleteRangeRequest> = fc.record({ s: span, prevKv: fc.boolean() }).map(({ s, prevKv }) => ({ ...s, prevKv }));

export const rangeReq: fc.Arbitrary<RangeRequest> = fc
  .record({
    s: span,
    limit: fc.constantFrom(0, 0, 1, 2, 3),
    revision: fc.oneof(fc.constant(0), rev),
    sortOrder: fc.constantFrom(undefined, 'NONE', 'ASCEND', 'DESCEND'),
    sortTarget: fc.constantFrom(undefined, 'KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'),
    keysOnly: fc.boolean(),
    countOnly: fc.constantFrom(false, false, false, true),
    minModRevision: smallRev,
    maxModRevision: smallRev,
    minCreateRevision: smallRev,
    maxCreateRevision: smallRev,
  })
  .map(({ s, ...rest }) => ({ ...s, ...rest }) as RangeRequest);

export const compare: fc.Arbitrary<Compare> = fc
  .record({
    s: span,
    result: fc.constantFrom('EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'),
    target: fc.constantFrom('VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'),
    n: fc.integer({ min: 0, max: 12 }),
    value,
  })
  .map(({ s, result, target, n, value }) => {
    const c = { ...s, result, target } as const;
    switch (target) {
      case 'VERSION': return { ...c, version: n % 4 };
      case 'CREATE': return { ...c, createRevision: n };
      case 'MOD': return { ...c, modRevision: n };
      case 'VALUE': return { ...c, value };
      case 'LEASE': return { ...c, lease: n % 3 };
    }
  });

const leafOp: fc.Arbitrary<RequestOp> = fc.oneof(
  rangeReq.map((request) => ({ type: 'range', request }) as const),
  putReq.map((request) => ({ type: 'put', request }) as const),
  deleteReq.map((request) => ({ type: 'deleteRange', request }) as const),
);

const ops = (op: fc.Arbitrary<RequestOp>) => fc.array(op, { maxLength: 3 });

const innerTxn: fc.Arbitrary<TxnRequest> = fc.record({ compare: fc.array(compare, { maxLength: 2 }), success: ops(leafOp), failure: ops(leafOp) });

export const txnReq: fc.Arbitrary<TxnRequest> = fc.record({
  compare: fc.array(compare, { maxLength: 3 }),
  success: ops(fc.oneof({ weight: 4, arbitrary: leafOp }, { weight: 1, arbitrary: innerTxn.map((request) => ({ type: 'txn', request }) as const) })),
  failure: ops(fc.oneof({ weight: 4, arbitrary: leafOp }, { weight: 1, arbitrary: innerTxn.map((request) => ({ type: 'txn', request }) as const) })),
});

export type ModelOp =
  | { type: 'put'; req: PutRequest }
  | { type: 'deleteRange'; req: DeleteRangeRequest }
  | { type: 'range'; req: RangeRequest }
  /** A range at `fraction` of the current revision (often below the compaction point). */
  | { type: 'historicalRange'; req: RangeRequest; fraction: number }
  | { type: 'txn'; req: TxnRequest }
  /** Compacts at `fraction` of the current revision (above 1: a future revision). */
  | { type: 'compact'; fraction: number }
  | { type: 'restart' }
  | { type: 'settle' };

export const modelOp: fc.Arbitrary<ModelOp> = fc.oneof(
  { weight: 6, arbitrary: putReq.map((req) => ({ type: 'put', req }) as const) },
  { weight: 2, arbitrary: deleteReq.map((req) => ({ type: 'deleteRange', req }) as const) },
  { weight: 5, arbitrary: rangeReq.map((req) => ({ type: 'range', req }) as const) },
  {
    weight: 3,
    arbitrary: fc.record({ req: rangeReq, percent: fc.integer({ min: 0, max: 100 }) }).map(({ req, percent }) => ({ type: 'historicalRange', req, fraction: percent / 100 }) as const),
  },
  { weight: 3, arbitrary: txnReq.map((req) => ({ type: 'txn', req }) as const) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 110 }).map((percent) => percent / 100).map((fraction) => ({ type: 'compact', fraction }) as const) },
  { weight: 1, arbitrary: fc.constant({ type: 'restart' } as const) },
  { weight: 1, arbitrary: fc.constant({ type: 'settle' } as const) },
);
