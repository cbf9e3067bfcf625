/**
 * Chaos traffic (etcd robustness's traffic, Jepsen's register workload): KV clients each issue
 * one operation at a time — get, put with a unique value, delete, a CAS transaction on mod
 * revision, and prefix range reads — against the member they are pinned to, recorded for the
 * linearizability checker; lease clients grant, attach, keep alive and revoke; watchers follow
 * the key prefix with the client's resumable watch. Outcome rules (etcd robustness):
 * a read that failed is dropped; a write refused with a not-applied answer (or never sent)
 * definitely failed; any other failed write has an unknown outcome.
 */
import { Client, OutcomeUnknownError } from '../../src/client/index.js';
import { ConnectionError, neverSent } from '../../src/client/connection-error.js';
import { NOT_APPLIED } from '../../src/client/errors.js';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';
import { isKvError } from '../../src/util/errors.js';
import type { SeededRng } from '../../src/util/rng.js';
import { HistoryRecorder } from '../checker/history.js';
import type { KvInput, KvOutput } from '../checker/kv-model.js';
import { WatchRecorder } from '../checker/watch-recorder.js';
import type { WatchEventRecord } from '../checker/watch-history.js';

export const KEY_PREFIX = 'k/';
export const keyName = (i: number) => `${KEY_PREFIX}${i}`;

export interface Counters {
  [name: string]: number;
}

export function bump(c: Counters, name: string, by = 1): void {
  c[name] = (c[name] ?? 0) + by;
}

/** True when the write certainly never took effect. */
export function definitelyNotApplied(err: unknown): boolean {
  if (err instanceof OutcomeUnknownError) return false;
  if (err instanceof ConnectionError) return neverSent(err);
  return isKvError(err) && NOT_APPLIED.has(err.code);
}

async function execute(client: Client, input: KvInput): Promise<KvOutput> {
  switch (input.op) {
    case 'get': {
      const r = await client.range({ key: utf8(input.key) });
      const kv = r.kvs[0];
      return kv === undefined ? { op: 'get', revision: r.header.revision } : { op: 'get', value: fromUtf8(kv.value), modRevision: kv.modRevision, revision: r.header.revision };
    }
    case 'range': {
      const r = await client.range({ key: utf8(input.key), rangeEnd: utf8(input.rangeEnd) });
      return { op: 'range', kvs: r.kvs.map((kv) => ({ key: fromUtf8(kv.key), value: fromUtf8(kv.value), modRevision: kv.modRevision })), revision: r.header.revision };
    }
    case 'put': {
      const r = await client.put({ key: utf8(input.key), value: utf8(input.value) });
      return { op: 'put', revision: r.header.revision };
    }
    case 'delete': {
      const r = await client.deleteRange({ key: utf8(input.key) });
      return { op: 'delete', deleted: r.deleted, revision: r.header.revision };
    }
    case 'cas': {
      const expect = input.expect;
      const r = await client.txn({
        compare: [
          'modRevision' in expect
            ? { key: utf8(input.key), target: 'MOD', result: 'EQUAL', modRevision: expect.modRevision }
            : { key: utf8(input.key), target: 'VALUE', result: 'EQUAL', value: utf8(expect.value) },
        ],
        success: [{ type: 'put', request: { key: utf8(input.key), value: utf8(input.value) } }],
      });
      return { op: 'cas', succeeded: r.succeeded, revision: r.header.revision };
    }
  }
}

export interface WorkloadContext {
  readonly rng: SeededRng;
  readonly endpoints: () => string[];
  readonly history: HistoryRecorder<KvInput, KvOutput>;
  readonly counters: Counters;
  readonly keys: number;
  readonly running: () => boolean;
  readonly timeoutMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One recorded operation through `client` as client `id`. */
export async function recordOp(ctx: WorkloadContext, client: Client, id: number, input: KvInput): Promise<KvOutput | undefined> {
  const opId = ctx.history.invoke(id, input);
  try {
    const out = await execute(client, input);
    ctx.history.ok(opId, out);
    bump(ctx.counters, `${input.op} ok`);
    return out;
  } catch (err) {
    const read = input.op === 'get' || input.op === 'range';
    const outcome = read || definitelyNotApplied(err) ? 'failed' : 'unknown';
    ctx.history.fail(opId, err, { outcome });
    bump(ctx.counters, `${input.op} ${outcome}`);
    return undefined;
  }
}

export async function kvClient(ctx: WorkloadContext, id: number): Promise<void> {
  const rng = ctx.rng.fork();
  const lastSeen = new Map<string, number>();
  let counter = 0;
  while (ctx.running()) {
    const eps = ctx.endpoints();
    const client = new Client({ endpoints: [eps[rng.int(eps.length)] as string], timeoutMs: ctx.timeoutMs, retryRounds: 3 });
    const key = keyName(rng.int(ctx.keys));
    const value = `c${id}-${counter++}`;
    const roll = rng.int(20);
    const input: KvInput =
      roll < 7 ? { op: 'get', key }
      : roll < 8 ? { op: 'range', key: KEY_PREFIX, rangeEnd: 'k0' }
      : roll < 14 ? { op: 'put', key, value }
      : roll < 16 ? { op: 'delete', key }
      : { op: 'cas', key, expect: { modRevision: lastSeen.get(key) ?? 0 }, value };
    const out = await recordOp(ctx, client, id, input);
    if (out?.op === 'get') lastSeen.set(key, out.modRevision ?? 0);
    await sleep(5 + rng.int(40));
  }
}

/**
 * Leases: grant (TTL 5 s), put a key under it, keep it alive once, revoke, and check with a
 * linearizable read that the key went with the lease. Leased keys live outside the checked
 * prefix; a key that outlives its acknowledged revoke is a finding.
 */
export async function leaseClient(ctx: WorkloadContext, id: number, findings: string[]): Promise<void> {
  const rng = ctx.rng.fork();
  let n = 0;
  while (ctx.running()) {
    const eps = ctx.endpoints();
    const client = new Client({ endpoints: eps, timeoutMs: ctx.timeoutMs, retryRounds: 3 });
    const key = `lease/${id}/${n++}`;
    try {
      const grant = await client.leaseGrant({ ttl: 5 });
      bump(ctx.counters, 'lease grant ok');
      await client.put({ key: utf8(key), value: utf8('x'), lease: grant.id });
      await client.leaseKeepAlive({ id: grant.id });
      bump(ctx.counters, 'lease keepalive ok');
      await client.leaseRevoke({ id: grant.id });
      bump(ctx.counters, 'lease revoke ok');
      const after = await client.range({ key: utf8(key) });
      if (after.kvs.length > 0) findings.push(`lease ${grant.id}: key ${key} still present at revision ${after.header.revision} after its lease was revoked`);
      bump(ctx.counters, 'lease checked');
    } catch {
      bump(ctx.counters, 'lease op failed');
    }
    await sleep(50 + rng.int(200));
  }
}

/**
 * A resumable watch of the whole key prefix from `startRevision`, recorded as one stream. It
 * runs until `stop()` or until it has seen `untilRevision` (when set).
 */
export function watchPrefix(endpoints: string[], recorder: WatchRecorder, client: number, startRevision: number, counters: Counters) {
  const request = { key: KEY_PREFIX, rangeEnd: 'k0', startRevision };
  const w = recorder.open(client, request);
  const c = new Client({ endpoints, timeoutMs: 5000 });
  const gen = c.watchKey(KEY_PREFIX, { prefix: true, startRevision }, { maxAttempts: 300, reconnectDelayMs: 200 });
  let last = startRevision - 1;
  let stopped = false;
  const done = (async () => {
    try {
      for await (const batch of gen) {
        const events: WatchEventRecord[] = batch.events.map((e) =>
          e.type === 'PUT' ? { type: 'PUT', key: fromUtf8(e.kv.key), value: fromUtf8(e.kv.value), revision: e.kv.modRevision } : { type: 'DELETE', key: fromUtf8(e.kv.key), revision: e.kv.modRevision },
        );
        recorder.response(w, { events, headerRevision: batch.revision });
        bump(counters, 'watch events', events.length);
        last = batch.revision;
        if (stopped) break;
      }
    } catch (err) {
      if (!stopped) bump(counters, `watch ended: ${(err as Error).message.slice(0, 60)}`);
    }
  })();
  return {
    lastRevision: () => last,
    stop: async () => {
      stopped = true;
      // return() waits for a generator parked on the stream; the final put wakes every watcher,
      // and the race keeps a wedged one from hanging the harness.
      await Promise.race([gen.return(undefined), sleep(1000)]);
      await Promise.race([done, sleep(1000)]);
    },
  };
}
