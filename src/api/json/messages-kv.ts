/** Descriptors of etcd's KV messages (rpc.proto, mvccpb/kv.proto): numbers, names, types. */
import { KvError } from '../../util/errors.js';
import type {
  Compare,
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseHeader,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from '../kv-types.js';
import { assertNever } from '../../util/assert.js';
import type { FieldOptions, FieldType, MessageDesc } from './descriptor.js';
import { enumDesc, field, message } from './descriptor.js';
import { encodeKeyValueJson } from './key-value-json.js';

/** A field the TS type always has (filled with its zero value when absent on the wire). */
export const must = (no: number, proto: string, type: FieldType, opts: FieldOptions = {}) =>
  field(no, proto, type, { fill: true, ...opts });

export const ResponseHeaderDesc = message<ResponseHeader>('etcdserverpb.ResponseHeader', [
  must(1, 'cluster_id', 'uint64', { id: true }),
  must(2, 'member_id', 'uint64', { id: true }),
  must(3, 'revision', 'int64'),
  must(4, 'raft_term', 'uint64'),
]);
const header = () => ResponseHeaderDesc;

export const KeyValueDesc: MessageDesc<KeyValue> = {
  ...message<KeyValue>('mvccpb.KeyValue', [
    must(1, 'key', 'bytes'),
    must(2, 'create_revision', 'int64'),
    must(3, 'mod_revision', 'int64'),
    must(4, 'version', 'int64'),
    must(5, 'value', 'bytes'),
    must(6, 'lease', 'int64', { id: true }),
  ]),
  encodeJson: encodeKeyValueJson,
};
const kv = () => KeyValueDesc;

export const EventDesc = message<Event>('mvccpb.Event', [
  must(1, 'type', enumDesc('mvccpb.Event_EventType', ['PUT', 'DELETE'])),
  must(2, 'kv', kv),
  field(3, 'prev_kv', kv),
]);

export const RangeRequestDesc = message<RangeRequest>('etcdserverpb.RangeRequest', [
  must(1, 'key', 'bytes'),
  field(2, 'range_end', 'bytes'),
  field(3, 'limit', 'int64'),
  field(4, 'revision', 'int64'),
  field(5, 'sort_order', enumDesc('etcdserverpb.RangeRequest_SortOrder', ['NONE', 'ASCEND', 'DESCEND'])),
  field(6, 'sort_target', enumDesc('etcdserverpb.RangeRequest_SortTarget', ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'])),
  field(7, 'serializable', 'bool'),
  field(8, 'keys_only', 'bool'),
  field(9, 'count_only', 'bool'),
  field(10, 'min_mod_revision', 'int64'),
  field(11, 'max_mod_revision', 'int64'),
  field(12, 'min_create_revision', 'int64'),
  field(13, 'max_create_revision', 'int64'),
]);

export const RangeResponseDesc = message<RangeResponse>('etcdserverpb.RangeResponse', [
  must(1, 'header', header),
  must(2, 'kvs', kv, { repeated: true }),
  field(3, 'more', 'bool'),
  must(4, 'count', 'int64'),
]);

export const PutRequestDesc = message<PutRequest>('etcdserverpb.PutRequest', [
  must(1, 'key', 'bytes'),
  must(2, 'value', 'bytes'),
  field(3, 'lease', 'int64', { id: true }),
  field(4, 'prev_kv', 'bool'),
  field(5, 'ignore_value', 'bool'),
  field(6, 'ignore_lease', 'bool'),
]);

export const PutResponseDesc = message<PutResponse>('etcdserverpb.PutResponse', [
  must(1, 'header', header),
  field(2, 'prev_kv', kv),
]);

export const DeleteRangeRequestDesc = message<DeleteRangeRequest>('etcdserverpb.DeleteRangeRequest', [
  must(1, 'key', 'bytes'),
  field(2, 'range_end', 'bytes'),
  field(3, 'prev_kv', 'bool'),
]);

export const DeleteRangeResponseDesc = message<DeleteRangeResponse>('etcdserverpb.DeleteRangeResponse', [
  must(1, 'header', header),
  must(2, 'deleted', 'int64'),
  field(3, 'prev_kvs', kv, { repeated: true }),
]);

/** The operand fields are the proto's oneof `target_union`; cairn keeps them flat, as the store does. */
export const CompareDesc = message<Compare>('etcdserverpb.Compare', [
  must(1, 'result', enumDesc('etcdserverpb.Compare_CompareResult', ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'])),
  must(2, 'target', enumDesc('etcdserverpb.Compare_CompareTarget', ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'])),
  must(3, 'key', 'bytes'),
  field(4, 'version', 'int64'),
  field(5, 'create_revision', 'int64'),
  field(6, 'mod_revision', 'int64'),
  field(7, 'value', 'bytes'),
  field(8, 'lease', 'int64', { id: true }),
  field(64, 'range_end', 'bytes'),
]);

const OP_FIELDS = [
  ['range', 'requestRange', 'responseRange'],
  ['put', 'requestPut', 'responsePut'],
  ['deleteRange', 'requestDeleteRange', 'responseDeleteRange'],
  ['txn', 'requestTxn', 'responseTxn'],
] as const;

export const RequestOpDesc: MessageDesc<RequestOp> = message<RequestOp>(
  'etcdserverpb.RequestOp',
  [
    field(1, 'request_range', () => RangeRequestDesc),
    field(2, 'request_put', () => PutRequestDesc),
    field(3, 'request_delete_range', () => DeleteRangeRequestDesc),
    field(4, 'request_txn', () => TxnRequestDesc),
  ],
  {
    toTs(w) {
      for (const [type, wireName] of OP_FIELDS) {
        if (w[wireName] !== undefined) return { type, request: w[wireName] } as RequestOp;
      }
      // etcd's checkRequestOp answers an op with no request this way.
      throw new KvError('KeyNotFound');
    },
    fromTs(op) {
      switch (op.type) {
        case 'range': return { requestRange: op.request };
        case 'put': return { requestPut: op.request };
        case 'deleteRange': return { requestDeleteRange: op.request };
        case 'txn': return { requestTxn: op.request };
        default: return assertNever(op);
      }
    },
  },
);

export const TxnRequestDesc: MessageDesc<TxnRequest> = message<TxnRequest>('etcdserverpb.TxnRequest', [
  must(1, 'compare', () => CompareDesc, { repeated: true }),
  must(2, 'success', () => RequestOpDesc, { repeated: true }),
  must(3, 'failure', () => RequestOpDesc, { repeated: true }),
]);

export const ResponseOpDesc: MessageDesc<ResponseOp> = message<ResponseOp>(
  'etcdserverpb.ResponseOp',
  [
    field(1, 'response_range', () => RangeResponseDesc),
    field(2, 'response_put', () => PutResponseDesc),
    field(3, 'response_delete_range', () => DeleteRangeResponseDesc),
    field(4, 'response_txn', () => TxnResponseDesc),
  ],
  {
    toTs(w) {
      for (const [type, , wireName] of OP_FIELDS) {
        if (w[wireName] !== undefined) return { type, response: w[wireName] } as ResponseOp;
      }
      throw new KvError('InvalidArgument', 'cairn: ResponseOp carries no response');
    },
    fromTs(op) {
      switch (op.type) {
        case 'range': return { responseRange: op.response };
        case 'put': return { responsePut: op.response };
        case 'deleteRange': return { responseDeleteRange: op.response };
        case 'txn': return { responseTxn: op.response };
        default: return assertNever(op);
      }
    },
  },
);

export const TxnResponseDesc: MessageDesc<TxnResponse> = message<TxnResponse>('etcdserverpb.TxnResponse', [
  must(1, 'header', header),
  must(2, 'succeeded', 'bool'),
  must(3, 'responses', () => ResponseOpDesc, { repeated: true }),
]);

export const CompactionRequestDesc = message<CompactionRequest>('etcdserverpb.CompactionRequest', [
  must(1, 'revision', 'int64'),
  field(2, 'physical', 'bool'),
]);

export const CompactionResponseDesc = message<CompactionResponse>('etcdserverpb.CompactionResponse', [
  must(1, 'header', header),
]);
