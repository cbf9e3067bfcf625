/**
 * A watch that survives its member: when the stream breaks it reconnects (to the next
 * endpoint) and resumes from the revision after the last one delivered, dropping anything
 * already seen — no gaps, no duplicates (etcd's watch guarantees "resumable" and "unique").
 * A compaction past the resume point ends it with the compacted error, since a gap would
 * otherwise be silent.
 */
import type { TlsClientOptions } from '../util/tls-options.js';
import type { Event, WatchCreateRequest } from '../api/kv.js';
import { KvError } from '../util/errors.js';
import type { EndpointPool } from './unary.js';
import { HttpWatchStream } from './watch-stream.js';

export interface WatchBatch {
  /** The revision of these events (all events of one revision arrive together). */
  readonly revision: number;
  readonly events: readonly Event[];
}

export interface ResumableWatchOptions {
  readonly reconnectDelayMs?: number;
  /** Give up after this many consecutive failed connection attempts. */
  readonly maxAttempts?: number;
  readonly headers?: Record<string, string>;
  /** The client's TLS trust and identity, for https endpoints. */
  readonly tls?: TlsClientOptions;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function* resumableWatch(
  pool: EndpointPool,
  create: WatchCreateRequest,
  o: ResumableWatchOptions = {},
): AsyncGenerator<WatchBatch> {
  /** Next revision the caller has not seen; 0 = "from now" until the first stream says where now is. */
  let next = create.startRevision ?? 0;
  let failures = 0;
  const maxAttempts = o.maxAttempts ?? 50;
  for (;;) {
    const endpoints = pool.order();
    const endpoint = endpoints[failures % endpoints.length] as string;
    const stream = new HttpWatchStream(endpoint, o.headers, o.tls);
    try {
      stream.send({ type: 'create', request: { ...create, startRevision: next, watchId: 0 } });
      for await (const r of stream) {
        if (r.canceled) {
          if (r.compactRevision !== undefined && r.compactRevision > 0) {
            throw new KvError('Compacted', `etcdserver: mvcc: required revision has been compacted (watch resumed at ${next}, compacted at ${r.compactRevision})`);
          }
          throw new KvError('WatchCanceled', r.cancelReason ?? 'etcdserver: watch canceled');
        }
        failures = 0;
        pool.prefer(endpoint);
        if (r.created && next === 0) next = r.header.revision + 1;
        const events = (r.events ?? []).filter((e) => e.kv.modRevision >= next);
        if (events.length > 0) {
          const revision = (events[events.length - 1] as Event).kv.modRevision;
          // Group by revision so a batch never straddles two revisions.
          let start = 0;
          for (let i = 1; i <= events.length; i++) {
            if (i === events.length || (events[i] as Event).kv.modRevision !== (events[start] as Event).kv.modRevision) {
              const batch = events.slice(start, i);
              yield { revision: (batch[0] as Event).kv.modRevision, events: batch };
              start = i;
            }
          }
          next = revision + 1;
        } else if (!r.created && !r.fragment && r.header.revision >= next) {
          // A progress notification: nothing at or below this revision is left for us.
          next = r.header.revision + 1;
        }
      }
    } catch (err) {
      if (err instanceof KvError && (err.code === 'Compacted' || (err.code === 'WatchCanceled' && !/ended$/.test(err.message)))) throw err;
    } finally {
      stream.close();
    }
    failures++;
    if (failures >= maxAttempts) throw new KvError('NoLeader', `cairn client: watch could not reconnect after ${failures} attempts`);
    await sleep(o.reconnectDelayMs ?? 100);
  }
}
