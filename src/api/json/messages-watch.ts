/** Descriptors of etcd's watch messages (rpc.proto §Watch). */
import type { WatchCreateRequest, WatchRequest, WatchResponse } from '../watch-types.js';
import type { WireObject } from './descriptor.js';
import { enumDesc, field, message } from './descriptor.js';
import { EventDesc, must, ResponseHeaderDesc } from './messages-kv.js';

const FilterType = enumDesc('etcdserverpb.WatchCreateRequest_FilterType', ['NOPUT', 'NODELETE']);

export const WatchCreateRequestDesc = message<WatchCreateRequest>(
  'etcdserverpb.WatchCreateRequest',
  [
    must(1, 'key', 'bytes'),
    field(2, 'range_end', 'bytes'),
    field(3, 'start_revision', 'int64'),
    field(4, 'progress_notify', 'bool'),
    field(5, 'filters', FilterType, { repeated: true }),
    field(6, 'prev_kv', 'bool'),
    field(7, 'watch_id', 'int64'),
    field(8, 'fragment', 'bool'),
  ],
  {
    // etcd's filter list becomes the store's two flags.
    toTs(w) {
      const { filters, ...rest } = w;
      const list = (filters ?? []) as readonly string[];
      const out: WireObject = { ...rest };
      if (list.includes('NOPUT')) out['noPut'] = true;
      if (list.includes('NODELETE')) out['noDelete'] = true;
      return out as unknown as WatchCreateRequest;
    },
    fromTs(r) {
      const { noPut, noDelete, ...rest } = r;
      const filters = [...(noPut ? ['NOPUT'] : []), ...(noDelete ? ['NODELETE'] : [])];
      return { ...rest, filters };
    },
  },
);

const WatchCancelRequestDesc = message('etcdserverpb.WatchCancelRequest', [must(1, 'watch_id', 'int64')]);
const WatchProgressRequestDesc = message('etcdserverpb.WatchProgressRequest', []);

/** Decodes to undefined for a request with no member set: etcd's watch server skips those. */
export const WatchRequestDesc = message<WatchRequest | undefined>(
  'etcdserverpb.WatchRequest',
  [
    field(1, 'create_request', () => WatchCreateRequestDesc),
    field(2, 'cancel_request', () => WatchCancelRequestDesc),
    field(3, 'progress_request', () => WatchProgressRequestDesc),
  ],
  {
    toTs(w) {
      if (w['createRequest'] !== undefined) return { type: 'create', request: w['createRequest'] as WatchCreateRequest };
      const cancel = w['cancelRequest'] as { watchId: number } | undefined;
      if (cancel !== undefined) return { type: 'cancel', watchId: cancel.watchId };
      if (w['progressRequest'] !== undefined) return { type: 'progress' };
      return undefined;
    },
    fromTs(r) {
      if (r === undefined) return {};
      switch (r.type) {
        case 'create': return { createRequest: r.request };
        case 'cancel': return { cancelRequest: { watchId: r.watchId } };
        case 'progress': return { progressRequest: {} };
      }
    },
  },
);

export const WatchResponseDesc = message<WatchResponse>('etcdserverpb.WatchResponse', [
  must(1, 'header', () => ResponseHeaderDesc),
  must(2, 'watch_id', 'int64'),
  field(3, 'created', 'bool'),
  field(4, 'canceled', 'bool'),
  field(5, 'compact_revision', 'int64'),
  field(6, 'cancel_reason', 'string'),
  field(7, 'fragment', 'bool'),
  field(11, 'events', () => EventDesc, { repeated: true }),
]);
