/**
 * The data dir's store as the WAL and the backend see it: one OrderedKv whose underlying store
 * is replaced when a snapshot install switches to a staged store. The data dir swaps it inside
 * the WAL's queue, with the backend's buffer flushed, so no write straddles the switch.
 */
import type { IterateOptions } from './backend.js';
import { getMany, iterateBatches, type KvOp, type KvSnapshot, type OrderedKv } from './kv.js';

export class SwitchableKv implements OrderedKv {
  constructor(private current: OrderedKv) {}

  get label(): string {
    return this.current.label;
  }

  /** Points every later call at `next`; returns the store replaced (the caller closes it). */
  swap(next: OrderedKv): OrderedKv {
    const old = this.current;
    this.current = next;
    return old;
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.current.get(key);
  }

  getMany(keys: readonly Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
    return getMany(this.current, keys);
  }

  iterate(options: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]> {
    return this.current.iterate(options);
  }

  keys(options: IterateOptions): AsyncIterable<Uint8Array> {
    return this.current.keys(options);
  }

  iterateBatches(options: IterateOptions): AsyncIterable<Array<[Uint8Array, Uint8Array]>> {
    return iterateBatches(this.current, options);
  }

  batch(ops: readonly KvOp[], options: { readonly sync: boolean }): Promise<void> {
    return this.current.batch(ops, options);
  }

  snapshot(): KvSnapshot {
    return this.current.snapshot();
  }

  compactRange(start: Uint8Array, end: Uint8Array): Promise<void> {
    return this.current.compactRange(start, end);
  }

  sizeBytes(): Promise<number> {
    return this.current.sizeBytes();
  }

  close(): Promise<void> {
    return this.current.close();
  }
}
