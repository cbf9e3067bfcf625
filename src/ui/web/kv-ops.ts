/**
 * The key operations of the Keys page as gateway calls. Every write is a txn guarded by a
 * compare, so an edit made from a stale view fails instead of overwriting someone else's write
 * (etcd's compare-and-swap on mod_revision); the failure branch reads the key back so the
 * conflict message can say what changed.
 */
import { b64, rpc, type GwKv, type GwRange, type GwTxn } from './api.js';
import { concat, prefixEnd } from './bytes.js';

export interface Listing {
  readonly kvs: readonly GwKv[];
  /** Keys under the prefix from `start` on (the gateway's count, not only this page). */
  readonly count: number;
  readonly more: boolean;
  readonly revision: number;
}

/** Keys (no values) under `prefix`, from `start` (inclusive), at most `limit`. */
export async function listKeys(prefix: Uint8Array, start: Uint8Array, limit: number): Promise<Listing> {
  const r = await rpc<GwRange>('/v3/kv/range', {
    key: b64(start.length > 0 ? start : prefix.length > 0 ? prefix : new Uint8Array([0])),
    range_end: b64(prefixEnd(prefix)),
    keys_only: true,
    limit,
  });
  return { kvs: r.kvs ?? [], count: Number(r.count ?? 0), more: r.more === true, revision: Number(r.header.revision ?? 0) };
}

/** The key after `key` in byte order: where the next page starts. */
export function after(key: Uint8Array): Uint8Array {
  return concat(key, new Uint8Array([0]));
}

export async function getKey(key: Uint8Array, revision?: number): Promise<{ kv: GwKv | undefined; revision: number }> {
  const r = await rpc<GwRange>('/v3/kv/range', { key: b64(key), ...(revision === undefined ? {} : { revision }) });
  return { kv: r.kvs?.[0], revision: Number(r.header.revision ?? 0) };
}

export type WriteOutcome = { readonly ok: true; readonly revision: number } | { readonly ok: false; readonly current: GwKv | undefined };

async function guarded(key: Uint8Array, compare: object, success: object): Promise<WriteOutcome> {
  const r = await rpc<GwTxn>('/v3/kv/txn', {
    compare: [{ key: b64(key), ...compare }],
    success: [success],
    failure: [{ request_range: { key: b64(key) } }],
  });
  if (r.succeeded === true) return { ok: true, revision: Number(r.header.revision ?? 0) };
  return { ok: false, current: r.responses?.[0]?.response_range?.kvs?.[0] };
}

function putOp(key: Uint8Array, value: Uint8Array, lease: string): object {
  return { request_put: { key: b64(key), value: b64(value), ...(lease === '' || lease === '0' ? {} : { lease }) } };
}

/** Creates the key only if it does not exist (create_revision = 0). */
export function createKey(key: Uint8Array, value: Uint8Array, lease: string): Promise<WriteOutcome> {
  return guarded(key, { target: 'CREATE', result: 'EQUAL', create_revision: 0 }, putOp(key, value, lease));
}

/** Replaces the value only if the key's mod_revision is still `expected`. */
export function casPut(key: Uint8Array, value: Uint8Array, lease: string, expected: number): Promise<WriteOutcome> {
  return guarded(key, { target: 'MOD', result: 'EQUAL', mod_revision: expected }, putOp(key, value, lease));
}

export function casDelete(key: Uint8Array, expected: number): Promise<WriteOutcome> {
  return guarded(key, { target: 'MOD', result: 'EQUAL', mod_revision: expected }, { request_delete_range: { key: b64(key) } });
}

/** What an operator reads when a guarded write lost. */
export function conflictText(action: string, expected: number | undefined, current: GwKv | undefined): string {
  if (expected === undefined) {
    return current === undefined
      ? `Conflict: ${action} failed, yet the key does not exist now; try again.`
      : `Conflict: the key already exists (mod revision ${current.mod_revision ?? '?'}); open it to edit it instead.`;
  }
  if (current === undefined) return `Conflict: the key was deleted after you loaded it at mod revision ${expected}; nothing was ${action}.`;
  return `Conflict: the key was modified at revision ${current.mod_revision ?? '?'} after you loaded it at mod revision ${expected}; nothing was ${action}. Reload to see the current value, then make your change again.`;
}

export interface HistoryEntry {
  readonly kv: GwKv;
}

/**
 * The key's earlier versions: read it at mod_revision - 1, again and again, down to its
 * create_revision, until `max` versions or a compacted revision (then `compacted` is set).
 */
export async function history(key: Uint8Array, from: GwKv, max: number): Promise<{ entries: GwKv[]; compacted: boolean }> {
  const entries: GwKv[] = [];
  let at = Number(from.mod_revision ?? 0);
  const created = Number(from.create_revision ?? 0);
  while (entries.length < max && at > created) {
    try {
      const { kv } = await getKey(key, at - 1);
      if (kv === undefined) break;
      entries.push(kv);
      at = Number(kv.mod_revision ?? 0);
    } catch (err) {
      if ((err as { code?: number }).code === 11) return { entries, compacted: true };
      throw err;
    }
  }
  return { entries, compacted: false };
}
