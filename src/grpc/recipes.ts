/**
 * The waiting half of clientv3's concurrency recipes (concurrency/key.go), run server-side as
 * etcd's v3lock and v3election services run them: watch a key or prefix on the member's own KV
 * service until the awaited change, giving up when the gRPC call goes away.
 */
import type { KV, ResponseHeader, WatchCreateRequest, WatchResponse } from '../api/kv.js';
import { KvError } from '../util/errors.js';

/** The gRPC call a wait belongs to: its 'cancelled' event ends the wait. */
export interface CallScope {
  on(event: 'cancelled', listener: () => void): unknown;
  off(event: 'cancelled', listener: () => void): unknown;
}

/**
 * The responses of one watch until the caller stops iterating; throws when the watch is
 * cancelled (e.g. compacted) or the call goes away.
 */
export async function* watchResponses(service: KV, request: WatchCreateRequest, call: CallScope): AsyncGenerator<WatchResponse> {
  const stream = service.watch();
  const cancelled = (): void => stream.close();
  call.on('cancelled', cancelled);
  try {
    stream.send({ type: 'create', request });
    for await (const wr of stream) {
      if (wr.canceled) throw new KvError('WatchCanceled', wr.cancelReason || undefined);
      yield wr;
    }
    throw new KvError('WatchCanceled', 'context canceled');
  } finally {
    call.off('cancelled', cancelled);
    stream.close();
  }
}

/** Resolves once `key` is deleted at or after `fromRevision` (concurrency.waitDelete). */
async function waitDelete(service: KV, key: Uint8Array, fromRevision: number, call: CallScope): Promise<void> {
  for await (const wr of watchResponses(service, { key, startRevision: fromRevision }, call)) {
    if ((wr.events ?? []).some((e) => e.type === 'DELETE')) return;
  }
}

/**
 * concurrency.waitDeletes: waits until no key in [prefix, rangeEnd) was created at or before
 * `maxCreateRevision`, deleting the newest first; returns the header of the last read.
 */
export async function waitDeletes(service: KV, prefix: Uint8Array, rangeEnd: Uint8Array, maxCreateRevision: number, call: CallScope): Promise<ResponseHeader> {
  for (;;) {
    const older = await service.range({ key: prefix, rangeEnd, maxCreateRevision, sortOrder: 'DESCEND', sortTarget: 'CREATE', limit: 1 });
    const last = older.kvs[0];
    if (last === undefined) return older.header;
    await waitDelete(service, last.key, older.header.revision, call);
  }
}
