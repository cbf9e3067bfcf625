/**
 * Random KV histories that are linearizable by construction: a sequential run of an etcd-like
 * store (one global revision) at points 10i+5, each op's interval stretched around its point
 * without overlapping the same client's previous or next op. Some writes get an unknown
 * outcome (applied, or "phantom" — never applied), some ops fail cleanly. Used by the
 * randomized checker tests and the performance test; the simulator may reuse it for baselines.
 */
import { assertNever } from '../../src/util/assert.js';
import type { Rng } from '../../src/util/rng.js';
import type { Operation } from './history.js';
import type { CasExpectation, KvInput, KvOutput } from './kv-model.js';
import { compareKeys, keyInRange } from './keys.js';
import type { WatchEventRecord } from './watch-history.js';

export interface GenerateOptions {
  readonly ops: number;
  readonly keys: number;
  readonly clients: number;
  /** Share of writes whose outcome is unknown (return +∞, no output). */
  readonly unknownRate?: number;
  /** Share of unknown writes that never took effect. */
  readonly phantomRate?: number;
  /** Share of ops that failed cleanly (no effect, no output). */
  readonly failedRate?: number;
}

type KvOp = Operation<KvInput, KvOutput>;

interface StoredValue {
  value: string;
  modRevision: number;
}

/** etcd's KV semantics run one op at a time: the reference run histories are cut from. */
export class SequentialKvStore {
  private readonly data = new Map<string, StoredValue>();
  revision = 1;
  /** Every committed change, in revision order (what watchers should see). */
  readonly events: WatchEventRecord[] = [];

  get(key: string): StoredValue | undefined {
    return this.data.get(key);
  }

  apply(input: KvInput): KvOutput {
    const cur = this.data.get(input.key);
    switch (input.op) {
      case 'get':
        return { op: 'get', ...(cur ? { value: cur.value } : {}), modRevision: cur?.modRevision ?? 0, revision: this.revision };
      case 'range': {
        const kvs = [...this.data.entries()]
          .filter(([key]) => keyInRange(key, input.key, input.rangeEnd))
          .sort(([a], [b]) => compareKeys(a, b))
          .map(([key, v]) => ({ key, value: v.value, modRevision: v.modRevision }));
        return { op: 'range', kvs, revision: this.revision };
      }
      case 'put':
        this.write(input.key, input.value);
        return { op: 'put', revision: this.revision };
      case 'delete':
        if (cur === undefined) return { op: 'delete', deleted: 0, revision: this.revision };
        this.write(input.key, undefined);
        return { op: 'delete', deleted: 1, revision: this.revision };
      case 'cas': {
        const e = input.expect;
        const holds = 'value' in e ? cur !== undefined && cur.value === e.value : (cur?.modRevision ?? 0) === e.modRevision;
        if (!holds) return { op: 'cas', succeeded: false, revision: this.revision };
        this.write(input.key, input.value);
        return { op: 'cas', succeeded: true, revision: this.revision };
      }
      default:
        return assertNever(input, 'kv input');
    }
  }

  private write(key: string, value: string | undefined): void {
    const revision = ++this.revision;
    if (value === undefined) {
      this.data.delete(key);
      this.events.push({ type: 'DELETE', key, revision });
    } else {
      this.data.set(key, { value, modRevision: revision });
      this.events.push({ type: 'PUT', key, value, revision });
    }
  }
}

/** A random op on `key`; CAS expectations are usually (not always) the current state. */
export function randomKvInput(rng: Rng, store: SequentialKvStore, key: string, value: string): KvInput {
  const roll = rng.next();
  if (roll < 0.35) return { op: 'get', key };
  if (roll < 0.45) return rng.next() < 0.5 ? { op: 'range', key: 'k', rangeEnd: 'l' } : { op: 'range', key, rangeEnd: `${key}\u00ff` };
  if (roll < 0.7) return { op: 'put', key, value };
  if (roll < 0.8) return { op: 'delete', key };
  const cur = store.get(key);
  const expect: CasExpectation =
    rng.next() < 0.3
      ? { value: cur?.value ?? 'no-such-value' }
      : { modRevision: rng.next() < 0.7 ? (cur?.modRevision ?? 0) : rng.int(store.revision + 1) };
  return { op: 'cas', key, expect, value };
}

export function generateKvHistory(rng: Rng, opts: GenerateOptions): KvOp[] {
  return generateKvRun(rng, opts).history;
}

/** A generated history together with what the reference store committed. */
export function generateKvRun(rng: Rng, opts: GenerateOptions): { history: KvOp[]; committed: WatchEventRecord[] } {
  const store = new SequentialKvStore();
  const clientOf = Array.from({ length: opts.ops }, () => rng.int(opts.clients));
  const point = (i: number): number => i * 10 + 5;
  const nextOfClient = new Array<number>(opts.ops).fill(-1);
  const lastSeen = new Map<number, number>();
  for (let i = opts.ops - 1; i >= 0; i--) {
    nextOfClient[i] = lastSeen.get(clientOf[i] as number) ?? -1;
    lastSeen.set(clientOf[i] as number, i);
  }
  const prevReturn = new Map<number, number>();
  const history: KvOp[] = [];
  for (let i = 0; i < opts.ops; i++) {
    const client = clientOf[i] as number;
    const p = point(i);
    const input = randomKvInput(rng, store, `k${rng.int(opts.keys)}`, `v${i}`);
    const before = prevReturn.get(client) ?? -1;
    const call = p - rng.int(p - before);
    const next = nextOfClient[i] as number;
    const ret = p + rng.int(next === -1 ? 40 : point(next) - p);
    prevReturn.set(client, ret);
    const write = input.op !== 'get' && input.op !== 'range';
    const unknown = write && rng.next() < (opts.unknownRate ?? 0);
    const failed = !unknown && rng.next() < (opts.failedRate ?? 0);
    const phantom = unknown && rng.next() < (opts.phantomRate ?? 0);
    const base = { id: i, client, input, call };
    if (failed) {
      history.push({ ...base, status: 'failed', error: 'rejected', return: ret });
    } else if (unknown) {
      if (!phantom) store.apply(input);
      history.push({ ...base, status: 'unknown', error: 'timed out', return: Infinity });
    } else {
      history.push({ ...base, status: 'ok', output: store.apply(input), return: ret });
    }
  }
  return { history, committed: store.events };
}
