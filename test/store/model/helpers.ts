/** Small helpers for the KV table tests. */
import { KvStore, type KvStoreOptions } from '../../../src/store/kv-store.js';
import { MemoryBackend } from '../../../src/storage/memory-backend.js';
import { utf8 } from '../../../src/util/bytes.js';
import type { KeyValue } from '../../../src/store/types.js';

export const b = utf8;
export const ZERO = new Uint8Array([0]);

export function kv(key: string, createRevision: number, modRevision: number, version: number, value: string, lease = 0): KeyValue {
  return { key: b(key), createRevision, modRevision, version, value: b(value), lease };
}

export async function openStore(options: KvStoreOptions = {}): Promise<{ store: KvStore; backend: MemoryBackend }> {
  const backend = new MemoryBackend();
  return { store: await KvStore.open(backend, options), backend };
}

/** Puts each [key, value] in order, one revision each. */
export async function putAll(store: KvStore, pairs: ReadonlyArray<[string, string]>): Promise<void> {
  for (const [k, v] of pairs) await store.put({ key: b(k), value: b(v) });
}
