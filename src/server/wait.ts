/**
 * Waiters for proposals by request id (etcd `pkg/wait`): the proposer registers before
 * proposing, apply triggers with the result. Bounded: a full table refuses new requests with
 * etcd's "too many requests" instead of growing without limit.
 */
import { assert } from '../util/assert.js';
import { KvError } from '../util/errors.js';

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

export class WaitRegistry<T> {
  private readonly waiters = new Map<string, Waiter<T>>();

  constructor(private readonly limit: number) {
    assert(limit > 0, 'wait registry limit must be positive');
  }

  get size(): number {
    return this.waiters.size;
  }

  /** Throws KvError('TooManyRequests') when `limit` requests are already waiting. */
  register(id: string): Promise<T> {
    assert(!this.waiters.has(id), () => `request id ${id} registered twice`);
    if (this.waiters.size >= this.limit) throw new KvError('TooManyRequests');
    return new Promise<T>((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
    });
  }

  isRegistered(id: string): boolean {
    return this.waiters.has(id);
  }

  /** Resolves the waiter if this member is waiting for `id`; other members' requests are ignored. */
  trigger(id: string, value: T): boolean {
    const w = this.waiters.get(id);
    if (w === undefined) return false;
    this.waiters.delete(id);
    w.resolve(value);
    return true;
  }

  fail(id: string, err: Error): boolean {
    const w = this.waiters.get(id);
    if (w === undefined) return false;
    this.waiters.delete(id);
    w.reject(err);
    return true;
  }

  failAll(err: Error): void {
    const all = [...this.waiters.values()];
    this.waiters.clear();
    for (const w of all) w.reject(err);
  }
}
