/**
 * The data behind the fake KV service: a Map of live keys, a log of every committed revision
 * (for historical reads and watch replay), compaction as a floor, and leases that never expire.
 * Simple on purpose; the real MVCC store lives in src/store.
 */
import type { DeleteRangeRequest, Event, KeyValue, PutRequest, RangeRequest } from '../../src/api/kv.js';
import { compareBytes, toHex } from '../../src/util/bytes.js';
import { KvError } from '../../src/util/errors.js';

const EMPTY = new Uint8Array(0);

/** etcd's range rules: empty end = the key; `\0` end = every key ≥ key; else [key, end). */
export function inRange(key: Uint8Array, start: Uint8Array, end: Uint8Array | undefined): boolean {
  if (end === undefined || end.length === 0) return compareBytes(key, start) === 0;
  if (end.length === 1 && end[0] === 0) return compareBytes(key, start) >= 0;
  return compareBytes(key, start) >= 0 && compareBytes(key, end) < 0;
}

export interface Lease {
  readonly id: bigint;
  readonly ttl: number;
  readonly keys: Set<string>;
}

export type CommitListener = (revision: number, events: readonly Event[]) => void;

export class FakeStore {
  revision = 1;
  compacted = 0;
  readonly live = new Map<string, KeyValue>();
  readonly log: Array<{ revision: number; events: Event[] }> = [];
  readonly leases = new Map<bigint, Lease>();
  readonly listeners = new Set<CommitListener>();
  private nextLeaseId = 7_000_000_000_000_001n;

  /** The keys in [key, rangeEnd) at `rev`, sorted by key. */
  kvsAt(rev: number, req: { key: Uint8Array; rangeEnd?: Uint8Array }): KeyValue[] {
    const source = rev === this.revision ? this.live : this.replay(rev);
    return [...source.values()].filter((kv) => inRange(kv.key, req.key, req.rangeEnd)).sort((a, b) => compareBytes(a.key, b.key));
  }

  private replay(rev: number): Map<string, KeyValue> {
    const map = new Map<string, KeyValue>();
    for (const entry of this.log) {
      if (entry.revision > rev) break;
      for (const e of entry.events) {
        if (e.type === 'PUT') map.set(toHex(e.kv.key), e.kv);
        else map.delete(toHex(e.kv.key));
      }
    }
    return map;
  }

  readRevision(requested: number | undefined): number {
    const r = requested ?? 0;
    if (r > this.revision) throw new KvError('FutureRev');
    const at = r <= 0 ? this.revision : r;
    if (at < this.compacted) throw new KvError('Compacted');
    return at;
  }

  range(req: RangeRequest): { kvs: KeyValue[]; more: boolean; count: number } {
    if (req.key.length === 0) throw new KvError('EmptyKey');
    const all = this.kvsAt(this.readRevision(req.revision), req);
    const count = all.length;
    let kvs = all.filter(
      (kv) =>
        (!req.minModRevision || kv.modRevision >= req.minModRevision) &&
        (!req.maxModRevision || kv.modRevision <= req.maxModRevision) &&
        (!req.minCreateRevision || kv.createRevision >= req.minCreateRevision) &&
        (!req.maxCreateRevision || kv.createRevision <= req.maxCreateRevision),
    );
    if (req.sortOrder === 'DESCEND') kvs.reverse();
    if (req.countOnly) return { kvs: [], more: false, count };
    const limit = req.limit ?? 0;
    const more = limit > 0 && kvs.length > limit;
    if (more) kvs = kvs.slice(0, limit);
    if (req.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY }));
    return { kvs, more, count };
  }

  /** Applies a put at `rev` (the write's pending revision), recording its event. */
  put(req: PutRequest, rev: number, events: Event[]): KeyValue | undefined {
    if (req.key.length === 0) throw new KvError('EmptyKey');
    const id = toHex(req.key);
    const prev = this.live.get(id);
    if ((req.ignoreValue || req.ignoreLease) && prev === undefined) throw new KvError('KeyNotFound');
    if (req.ignoreValue && req.value.length > 0) throw new KvError('ValueProvided');
    if (req.ignoreLease && req.lease) throw new KvError('LeaseProvided');
    const lease = req.ignoreLease ? (prev?.lease ?? 0n) : (req.lease ?? 0n);
    if (lease !== 0n && !this.leases.has(lease)) throw new KvError('LeaseNotFound');
    const kv: KeyValue = {
      key: req.key,
      createRevision: prev?.createRevision ?? rev,
      modRevision: rev,
      version: (prev?.version ?? 0) + 1,
      value: req.ignoreValue ? (prev?.value ?? EMPTY) : req.value,
      lease,
    };
    if (prev?.lease) this.leases.get(prev.lease)?.keys.delete(id);
    if (lease) this.leases.get(lease)?.keys.add(id);
    this.live.set(id, kv);
    events.push(prev === undefined ? { type: 'PUT', kv } : { type: 'PUT', kv, prevKv: prev });
    return prev;
  }

  deleteRange(req: DeleteRangeRequest, rev: number, events: Event[]): KeyValue[] {
    if (req.key.length === 0) throw new KvError('EmptyKey');
    const gone = this.kvsAt(this.revision, req);
    for (const prev of gone) {
      const id = toHex(prev.key);
      this.live.delete(id);
      if (prev.lease) this.leases.get(prev.lease)?.keys.delete(id);
      const kv: KeyValue = { key: prev.key, createRevision: 0, modRevision: rev, version: 0, value: EMPTY, lease: 0n };
      events.push({ type: 'DELETE', kv, prevKv: prev });
    }
    return gone;
  }

  /** Runs `body` as one write: all its events share the next revision, committed if any. */
  write<T>(body: (rev: number, events: Event[]) => T): { result: T; revision: number } {
    const events: Event[] = [];
    const result = body(this.revision + 1, events);
    if (events.length > 0) {
      this.revision++;
      this.log.push({ revision: this.revision, events });
      for (const listener of this.listeners) listener(this.revision, events);
    }
    return { result, revision: this.revision };
  }

  compact(revision: number): void {
    if (revision <= this.compacted) throw new KvError('Compacted');
    if (revision > this.revision) throw new KvError('FutureRev');
    this.compacted = revision;
  }

  grantLease(ttl: number, id: bigint | undefined): Lease {
    if (ttl > 9_000_000_000) throw new KvError('LeaseTTLTooLarge');
    const leaseId = id || this.nextLeaseId++;
    if (this.leases.has(leaseId)) throw new KvError('LeaseExists');
    // etcd raises TTLs below the minimum (1.5 election timeouts = 2 s by default).
    const lease: Lease = { id: leaseId, ttl: Math.max(ttl, 2), keys: new Set() };
    this.leases.set(leaseId, lease);
    return lease;
  }

  revokeLease(id: bigint): number {
    const lease = this.leases.get(id);
    if (lease === undefined) throw new KvError('LeaseNotFound');
    const { revision } = this.write((rev, events) => {
      for (const key of [...lease.keys].sort()) {
        const kv = this.live.get(key);
        if (kv !== undefined) this.deleteRange({ key: kv.key }, rev, events);
      }
    });
    this.leases.delete(id);
    return revision;
  }
}
