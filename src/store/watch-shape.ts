/**
 * The consumer side of one event response (etcd's sendLoop): prev_kv is looked up as the watcher
 * asked (etcd reads it at mod_revision − 1), and for a watcher with `fragment` the response is
 * cut into pieces as it is shaped, so a revision of many keys with prev_kv is never held whole
 * (issue 15): at most one piece of looked-up values at a time. The cuts are etcd's v3rpc
 * `sendFragments`: a piece ends before the event that would bring it to the limit, always holds
 * at least one event, and all pieces but the last carry `fragment: true` under the same header.
 * Without `fragment` a revision goes out whole, as in etcd; past
 * `maxBytes` it cannot, as etcd's gRPC send fails, and the stream ends with ResourceExhausted.
 */
import { isKvError } from '../util/errors.js';
import { ResponseTooLargeError } from './range-size.js';
import type { Event, KeyValue, WatchSource } from './types.js';
import { eventBytes, RESPONSE_FIXED_BYTES } from './watch-fragment.js';
import type { WatchResponse } from './watch-types.js';
import type { Watcher } from './watcher.js';

export interface ShapeLimits {
  /** Pieces for `fragment` watchers end before the event that would reach this size. */
  readonly fragmentBytes: number;
  /** The largest response sent whole. */
  readonly maxBytes: number;
}

export class ResponseShaper {
  private at = 0;
  /** An event shaped for the piece after the one just given. */
  private carry: Event | undefined;
  private finished = false;

  constructor(
    private readonly source: WatchSource,
    private readonly watcher: Watcher,
    private readonly response: WatchResponse,
    private readonly limits: ShapeLimits,
  ) {}

  /** True once the last piece was given. */
  get done(): boolean {
    return this.finished;
  }

  /** The next piece, or undefined once the whole response was given. */
  async next(): Promise<WatchResponse | undefined> {
    if (this.finished) return undefined;
    const all = this.response.events;
    const events: Event[] = [];
    let size = RESPONSE_FIXED_BYTES;
    while (this.carry !== undefined || this.at < all.length) {
      const ev = this.carry ?? (await this.shape(all[this.at++] as Event));
      this.carry = undefined;
      const bytes = eventBytes(ev);
      if (this.watcher.fragment && events.length > 0 && size + bytes >= this.limits.fragmentBytes) {
        this.carry = ev;
        return { ...this.response, events, fragment: true };
      }
      events.push(ev);
      size += bytes;
      if (!this.watcher.fragment && size > this.limits.maxBytes) throw new ResponseTooLargeError(size, this.limits.maxBytes);
    }
    this.finished = true;
    return { ...this.response, events };
  }

  /** Attaches or strips prev_kv as the watcher asked. */
  private async shape(ev: Event): Promise<Event> {
    if (!this.watcher.prevKv) return ev.prevKv === undefined ? ev : { type: ev.type, kv: ev.kv };
    if (ev.prevKv !== undefined || isCreate(ev)) return ev;
    const prevKv = await this.lookupPrev(ev.kv);
    return prevKv === undefined ? ev : { type: ev.type, kv: ev.kv, prevKv };
  }

  private async lookupPrev(kv: KeyValue): Promise<KeyValue | undefined> {
    try {
      return await this.source.getAt(kv.key, kv.modRevision - 1);
    } catch (err) {
      // Compacted meanwhile: etcd sends the event without prev_kv.
      if (isKvError(err, 'Compacted')) return undefined;
      throw err;
    }
  }
}

function isCreate(ev: Event): boolean {
  return ev.type === 'PUT' && ev.kv.createRevision === ev.kv.modRevision;
}
