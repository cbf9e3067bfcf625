/**
 * The waiting half of clientv3's concurrency recipes (concurrency/key.go), run server-side as
 * etcd's v3lock and v3election services run them: watch a key or prefix on the member's KV
 * service until the awaited change, giving up when `signal` aborts (the caller went away).
 */
import { KvError } from '../../util/errors.js';
import type { KV, ResponseHeader, WatchCreateRequest, WatchResponse } from '../kv.js';

/**
 * The responses of one watch until the caller stops iterating; throws when the watch is
 * cancelled (e.g. compacted) or `signal` aborts.
 */
export async function* watchResponses(service: KV, request: WatchCreateRequest, signal: AbortSignal): AsyncGenerator<WatchResponse> {
  const stream = service.watch();
  const abort = (): void => stream.close();
  signal.addEventListener('abort', abort);
  try {
    if (signal.aborted) stream.close();
    stream.send({ type: 'create', request });
    for await (const wr of stream) {
      if (wr.canceled) throw new KvError('WatchCanceled', wr.cancelReason || undefined);
      yield wr;
    }
    throw new KvError('WatchCanceled', 'context canceled');
  } finally {
    signal.removeEventListener('abort', abort);
    stream.close();
  }
}

/** Resolves once `key` is deleted at or after `fromRevision` (concurrency.waitDelete). */
async function waitDelete(service: KV, key: Uint8Array, fromRevision: number, signal: AbortSignal): Promise<void> {
  for await (const wr of watchResponses(service, { key, startRevision: fromRevision }, signal)) {
    if ((wr.events ?? []).some((e) => e.type === 'DELETE')) return;
  }
}

/**
 * concurrency.waitDeletes: waits until no key in [prefix, rangeEnd) was created at or before
 * `maxCreateRevision`, deleting the newest first; returns the header of the last read.
 */
export async function waitDeletes(service: KV, prefix: Uint8Array, rangeEnd: Uint8Array, maxCreateRevision: number, signal: AbortSignal): Promise<ResponseHeader> {
  for (;;) {
    const older = await service.range({ key: prefix, rangeEnd, maxCreateRevision, sortOrder: 'DESCEND', sortTarget: 'CREATE', limit: 1 });
    const last = older.kvs[0];
    if (last === undefined) return older.header;
    await waitDelete(service, last.key, older.header.revision, signal);
  }
}
